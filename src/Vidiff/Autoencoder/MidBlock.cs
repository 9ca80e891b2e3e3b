using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Autoencoder;

/// <summary>diffusers' UNetMidBlock2D of the autoencoder: resnet, self-attention, resnet.</summary>
public sealed class MidBlock : Module<Tensor, Tensor>
{
    readonly ModuleList<ResBlock> resnets;
    readonly ModuleList<ImageSelfAttention> attentions;

    public MidBlock(int channels, int groups) : base(nameof(MidBlock))
    {
        resnets = new(new ResBlock(channels, channels, groups, 1e-6), new ResBlock(channels, channels, groups, 1e-6));
        attentions = new(new ImageSelfAttention(channels, groups));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => resnets[1].forward(attentions[0].forward(resnets[0].forward(x, null, 1)), null, 1);
}
