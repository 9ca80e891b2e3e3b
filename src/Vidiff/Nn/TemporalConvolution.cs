using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>
/// Paper §2: a 1D convolution over the frame axis after a spatial convolution, space folded into the batch.
/// Residual with a zero-initialised convolution, so it is exactly the identity until trained (the image model is kept).
/// </summary>
public sealed class TemporalConvolution : Module<Tensor, int, Tensor>
{
    readonly GroupNorm norm;
    readonly Conv conv;

    public TemporalConvolution(int channels, int groups) : base(nameof(TemporalConvolution))
    {
        norm = Norms.Group(groups, channels);
        conv = new Conv(channels, channels, 3, padding: 1, dimensions: 1).ZeroInitialised();
        RegisterComponents();
    }

    /// <param name="x">[B·F, C, H, W] features, frames folded into the batch.</param>
    /// <param name="frames">F.</param>
    public override Tensor forward(Tensor x, int frames)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], b = n / frames;
        // Normalise over each video's group of channels, frames and pixels, then fold space: [B·H·W, C, F].
        var t = functional.silu(norm.forward(x.view(b, frames, c, h, w).transpose(1, 2)));
        t = conv.call(t.permute(0, 3, 4, 1, 2).reshape(b * h * w, c, frames));
        return (x + t.view(b, h, w, c, frames).permute(0, 4, 3, 1, 2).reshape(n, c, h, w)).MoveToOuterDisposeScope();
    }
}
