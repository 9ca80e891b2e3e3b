using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>diffusers' TimestepEmbedding (linear_1, SiLU, linear_2) on the sinusoidal features of the diffusion step t.</summary>
public sealed class TimestepEmbedding : Module<Tensor, Tensor>
{
    readonly Linear linear_1, linear_2;

    public TimestepEmbedding(int channels, int timeDim) : base(nameof(TimestepEmbedding))
    {
        linear_1 = Linear(channels, timeDim);
        linear_2 = Linear(timeDim, timeDim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => linear_2.call(functional.silu(linear_1.call(x)));

    /// <summary>
    /// diffusers' Timesteps(flip_sin_to_cos: true, downscale_freq_shift: 0): [cos(t·f_i), sin(t·f_i)] with
    /// f_i = 10000^(−i/half), float32 [N, dim] for timesteps [N].
    /// </summary>
    public static Tensor Sinusoidal(Tensor timesteps, int dim)
    {
        int half = dim / 2;
        var freqs = exp(arange(half, dtype: float32, device: timesteps.device) * (-Math.Log(10000) / half));
        var args = timesteps.to(float32).unsqueeze(1) * freqs.unsqueeze(0);
        return cat([cos(args), sin(args)], 1);
    }
}
