using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Autoencoder;

/// <summary>diffusers' DownEncoderBlock2D: resnets, then a stride-2 convolution with Stable Diffusion's asymmetric padding.</summary>
public sealed class EncoderBlock : Module<Tensor, Tensor>
{
    readonly ModuleList<ResBlock> resnets;
    readonly ModuleList<Downsampler>? downsamplers;

    public EncoderBlock(int inChannels, int outChannels, int layers, int groups, bool downsample) : base(nameof(EncoderBlock))
    {
        resnets = new(Enumerable.Range(0, layers).Select(i => new ResBlock(i == 0 ? inChannels : outChannels, outChannels, groups, 1e-6)).ToArray());
        if (downsample) downsamplers = new(new Downsampler(outChannels, asymmetricPad: true));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        foreach (var resnet in resnets) x = resnet.forward(x, null, 1);
        return downsamplers is null ? x : downsamplers[0].forward(x);
    }
}
