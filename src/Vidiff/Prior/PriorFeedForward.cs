using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Prior;

/// <summary>diffusers' FeedForward with activation "gelu": keys net.0.proj, net.2 (net.1 is the parameter-free dropout).</summary>
public sealed class PriorFeedForward : Module<Tensor, Tensor>
{
    readonly ModuleList<Module<Tensor, Tensor>> net;

    public PriorFeedForward(int dim, int mult = 4) : base(nameof(PriorFeedForward))
    {
        net = new ModuleList<Module<Tensor, Tensor>>(new GeluProjection(dim, dim * mult), Dropout(0), Linear(dim * mult, dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => net[2].forward(net[0].forward(x));
}
