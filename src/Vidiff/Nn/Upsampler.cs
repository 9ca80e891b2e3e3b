using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>diffusers' Upsample2D: nearest-neighbour upsampling then a 3×3 convolution (upsamplers.0.conv).</summary>
public sealed class Upsampler : Module<Tensor, long[]?, Tensor>
{
    readonly Conv conv;

    public Upsampler(int channels) : base(nameof(Upsampler))
    {
        conv = new Conv(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <param name="size">Output [H, W]; null doubles. The UNet passes its skip's size so odd latent sizes line up.</param>
    public override Tensor forward(Tensor x, long[]? size) =>
        conv.call(functional.interpolate(x, size: size, scale_factor: size is null ? [2.0, 2.0] : null, mode: InterpolationMode.Nearest));
}
