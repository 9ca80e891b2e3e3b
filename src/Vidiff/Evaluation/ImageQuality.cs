using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Evaluation;

/// <summary>
/// Full-reference picture figures of an edit against the perfect edit (<see cref="PerfectEdit"/>), on RGB in [0, 1]
/// (frames arrive in [−1, 1]). PSNR from the mean square error pooled over every pixel, channel and frame of the clip;
/// SSIM as Wang et al. 2004 define it: an 11×11 Gaussian window of σ = 1.5, C1 = (0.01)², C2 = (0.03)², each RGB
/// channel on its own, the map over the window positions that fit inside the frame ("valid", no padding), averaged
/// over positions, channels and frames.
/// </summary>
public static class ImageQuality
{
    public const int SsimWindow = 11;
    public const double SsimSigma = 1.5, SsimC1 = 0.01 * 0.01, SsimC2 = 0.03 * 0.03;

    /// <summary>10 log10(1 / MSE) in dB; +∞ for identical frames. [F, 3, H, W] in [−1, 1], both.</summary>
    public static double Psnr(Tensor frames, Tensor reference)
    {
        Check(frames, reference);
        using var scope = NewDisposeScope();
        double mse = ((frames.to(float64) - reference.to(float64)) / 2).square().mean().item<double>();
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1 / mse);
    }

    /// <summary>Mean SSIM; 1 for identical frames. [F, 3, H, W] in [−1, 1], both, at least 11 pixels on a side.</summary>
    public static double Ssim(Tensor frames, Tensor reference)
    {
        Check(frames, reference);
        if (frames.shape[2] < SsimWindow || frames.shape[3] < SsimWindow)
            throw new ArgumentException($"SSIM needs frames of at least {SsimWindow}×{SsimWindow} pixels, got {frames.shape[3]}×{frames.shape[2]}.", nameof(frames));
        using var scope = NewDisposeScope();
        long c = frames.shape[1];
        var (x, y) = ((frames.to(float64) + 1) / 2, (reference.to(float64) + 1) / 2);
        var window = Window().expand(c, 1, SsimWindow, SsimWindow);
        Tensor Blur(Tensor z) => F.conv2d(z, window, groups: c);
        var (mx, my) = (Blur(x), Blur(y));
        var sxx = Blur(x * x) - mx * mx;
        var syy = Blur(y * y) - my * my;
        var sxy = Blur(x * y) - mx * my;
        var map = (2 * mx * my + SsimC1) * (2 * sxy + SsimC2) / ((mx * mx + my * my + SsimC1) * (sxx + syy + SsimC2));
        return map.mean().item<double>();
    }

    /// <summary>The normalised 11×11 Gaussian window, [1, 1, 11, 11] float64.</summary>
    public static Tensor Window()
    {
        using var scope = NewDisposeScope();
        var x = arange(SsimWindow, float64) - SsimWindow / 2;
        var g = (-x.square() / (2 * SsimSigma * SsimSigma)).exp();
        g /= g.sum();
        return outer(g, g).view(1, 1, SsimWindow, SsimWindow).MoveToOuterDisposeScope();
    }

    static void Check(Tensor frames, Tensor reference)
    {
        if (frames.dim() != 4 || frames.shape[1] != 3 || !frames.shape.SequenceEqual(reference.shape))
            throw new ArgumentException($"frames [{string.Join(", ", frames.shape)}] and reference [{string.Join(", ", reference.shape)}] must both be [F, 3, H, W].", nameof(frames));
    }
}
