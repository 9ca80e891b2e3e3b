using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>The transformer feed-forward (GEGLU, or plain GELU for the prior; 4× width) with diffusers' names ff.net.0.proj and ff.net.2.</summary>
public sealed class FeedForward : Module<Tensor, Tensor>
{
    readonly ModuleList<Module<Tensor, Tensor>> net;

    public FeedForward(int dim, int mult = 4, bool gated = true) : base(nameof(FeedForward))
    {
        // net.1 is diffusers' dropout (0 in Stable Diffusion); kept as identity so the indices match.
        net = new ModuleList<Module<Tensor, Tensor>>(gated ? new Geglu(dim, mult * dim) : new Gelu(dim, mult * dim), Identity(), Linear(mult * dim, dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => net[2].call(net[0].call(x));
}
