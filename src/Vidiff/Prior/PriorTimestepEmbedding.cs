using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Prior;

/// <summary>diffusers' Timesteps(flip_sin_to_cos, shift 0) features followed by TimestepEmbedding (linear_1, SiLU, linear_2).</summary>
public sealed class PriorTimestepEmbedding : Module<Tensor, Tensor>
{
    readonly Linear linear_1, linear_2;
    readonly int channels;

    public PriorTimestepEmbedding(int channels) : base(nameof(PriorTimestepEmbedding))
    {
        this.channels = channels;
        linear_1 = Linear(channels, channels);
        linear_2 = Linear(channels, channels);
        RegisterComponents();
    }

    /// <param name="timesteps">[B] diffusion steps.</param>
    public override Tensor forward(Tensor timesteps)
    {
        int half = channels / 2;
        var freqs = exp(arange(half, dtype: float32, device: timesteps.device) * (-Math.Log(10000) / half));
        var args = timesteps.to(float32).unsqueeze(1) * freqs.unsqueeze(0);
        return linear_2.forward(functional.silu(linear_1.forward(cat([cos(args), sin(args)], 1))));
    }
}
