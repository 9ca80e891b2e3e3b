using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

using Vidiff.Nn;

namespace Vidiff.Depth;

/// <summary>
/// BiT's convolution: the weights are standardised per output channel (zero mean, unit variance over the fan-in;
/// Qiao et al. 2019) before every use, which with GroupNorm replaces batch statistics. Key: <c>weight</c> (no bias).
/// </summary>
sealed class WeightStandardizedConv2d : nn.Module<Tensor, Tensor>
{
    // BiT passes 1e-8 to every one of its convolutions (the class default 1e-6 is never used).
    const double Eps = 1e-8;

    readonly Parameter weight;
    readonly int kernel, stride;
    readonly bool padSame;
    readonly long padding;

    public WeightStandardizedConv2d(int inChannels, int outChannels, int kernel, int stride, bool samePadding) : base(nameof(WeightStandardizedConv2d))
    {
        // The scale is irrelevant: the weights are standardised before use.
        weight = new Parameter(randn(outChannels, inChannels, kernel, kernel));
        this.kernel = kernel;
        this.stride = stride;
        // "SAME" is a fixed symmetric padding only for unstrided odd kernels; otherwise it depends on the input size.
        padSame = samePadding && (stride != 1 || kernel % 2 == 0);
        padding = padSame ? 0 : (stride - 1 + kernel - 1) / 2;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (padSame) x = PadSame(x, kernel, stride);
        // batch_norm over the [1, out, fan-in] view is the reference's exact arithmetic for the standardisation.
        var w = F.batch_norm(weight.reshape(1, weight.shape[0], -1), null, null, training: true, momentum: 0, eps: Eps).view_as(weight);
        return Conv.Apply(x, w, null, stride, padding).MoveToOuterDisposeScope();
    }

    /// <summary>TensorFlow's "SAME": pad so that a kernel × kernel window at this stride gives ceil(size / stride)
    /// outputs, the odd pixel of padding going after (bottom, right).</summary>
    internal static Tensor PadSame(Tensor x, int kernel, int stride)
    {
        long Pad(long size) => Math.Max(((size + stride - 1) / stride - 1) * stride + kernel - size, 0);
        long ph = Pad(x.shape[2]), pw = Pad(x.shape[3]);
        return ph == 0 && pw == 0 ? x : F.pad(x, [pw / 2, pw - pw / 2, ph / 2, ph - ph / 2]);
    }
}
