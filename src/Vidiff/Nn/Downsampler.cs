using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>diffusers' Downsample2D: a stride-2 3×3 convolution (downsamplers.0.conv).</summary>
public sealed class Downsampler : Module<Tensor, Tensor>
{
    readonly bool asymmetricPad;
    readonly Conv conv;

    /// <param name="asymmetricPad">The autoencoder pads right and bottom only (Stable Diffusion's (0,1,0,1)); the UNet pads 1.</param>
    public Downsampler(int channels, bool asymmetricPad) : base(nameof(Downsampler))
    {
        this.asymmetricPad = asymmetricPad;
        conv = new Conv(channels, channels, 3, stride: 2, padding: asymmetricPad ? 0 : 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.call(asymmetricPad ? functional.pad(x, [0, 1, 0, 1]) : x);
}
