using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Autoencoder;

/// <summary>diffusers' UpDecoderBlock2D: resnets, then nearest ×2 and a convolution.</summary>
public sealed class DecoderBlock : Module<Tensor, Tensor>
{
    readonly ModuleList<ResBlock> resnets;
    readonly ModuleList<Upsampler>? upsamplers;

    public DecoderBlock(int inChannels, int outChannels, int layers, int groups, bool upsample) : base(nameof(DecoderBlock))
    {
        resnets = new(Enumerable.Range(0, layers).Select(i => new ResBlock(i == 0 ? inChannels : outChannels, outChannels, groups, 1e-6)).ToArray());
        if (upsample) upsamplers = new(new Upsampler(outChannels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var resnet in resnets) x = resnet.forward(x, null, 1);
        return upsamplers is null ? x : upsamplers[0].forward(x, null);
    }
}
