using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Structure;

/// <summary>
/// The structure representation s of paper §3: per-clip normalised depth, with detail removed by t_s steps of the
/// information-obscuring process, at latent resolution, ready to be concatenated to z_t.
/// </summary>
public static class StructureEncoder
{
    /// <summary>T_s: t_s ranges over 0..MaxLevel (paper §3).</summary>
    public const int MaxLevel = 7;

    /// <summary>Depth [F, 1, H, W] → s [1, 1, F, h, w].</summary>
    public static Tensor Encode(Tensor depth, int ts, long h, long w)
    {
        if (depth.dim() != 4 || depth.shape[1] != 1)
            throw new ArgumentException($"Depth must have shape [F, 1, H, W], got [{string.Join(", ", depth.shape)}].", nameof(depth));
        CheckLevel(ts);
        using var scope = NewDisposeScope();
        var normalized = Normalize(depth);
        var obscured = Obscure(normalized, ts);
        var latent = ToLatent(obscured, h, w);
        return latent.permute(1, 0, 2, 3).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>Per clip to [−1, 1] (paper §3): depth estimators give relative depth of arbitrary scale and offset. A
    /// constant clip carries no structure and maps to 0.</summary>
    public static Tensor Normalize(Tensor depth)
    {
        using var scope = NewDisposeScope();
        var min = depth.min();
        var range = depth.max() - min;
        var scaled = 2 * (depth - min) / range.clamp(min: 1e-12) - 1;
        return where(range > 0, scaled, zeros_like(depth)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The information-obscuring process (paper §3): t_s = 0 is the depth itself; level t_s ≥ 1 is a separable Gaussian
    /// blur with σ = min(H, W) · 2^t_s / 512, so the width doubles per step and ends at a quarter of the image at T_s.
    /// Why this operator rather than repeated downsample/bicubic-upsample: at 64 px seven halvings leave less than one
    /// pixel, and bicubic overshoot can add high-frequency energy; a Gaussian's response exp(−σ²ω²/2) falls strictly
    /// with σ at every frequency, so detail falls strictly with t_s at any size. σ ∝ image size makes a level remove the
    /// same share of detail at every resolution. Reflect padding keeps borders from being pulled towards 0, which would
    /// draw an edge whose energy grows with σ. Acts on [.., H, W].
    /// </summary>
    public static Tensor Obscure(Tensor depth, int ts)
    {
        CheckLevel(ts);
        if (ts == 0) return depth.clone();
        using var scope = NewDisposeScope();
        long height = depth.shape[^2], width = depth.shape[^1];
        double sigma = Math.Min(height, width) * Math.Pow(2, ts) / 512;
        var x = depth.reshape(-1, 1, height, width);
        x = Blur(x, sigma, vertical: false);
        x = Blur(x, sigma, vertical: true);
        return x.reshape(depth.shape).MoveToOuterDisposeScope();
    }

    /// <summary>To latent size with area-weighted (antialiased) resampling, so fine depth detail averages out instead of aliasing.</summary>
    public static Tensor ToLatent(Tensor depth, long h, long w) =>
        F.interpolate(depth, [h, w], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);

    static Tensor Blur(Tensor x, double sigma, bool vertical)
    {
        long size = vertical ? x.shape[2] : x.shape[3];
        long radius = Math.Min((long)Math.Ceiling(3 * sigma), size - 1);
        var taps = Enumerable.Range((int)-radius, (int)(2 * radius + 1)).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double sum = taps.Sum();
        var kernel = tensor(taps.Select(v => v / sum).ToArray(), x.dtype, x.device);
        var padded = F.pad(x, vertical ? new long[] { 0, 0, radius, radius } : new long[] { radius, radius, 0, 0 }, TorchSharp.PaddingModes.Reflect);
        return F.conv2d(padded, vertical ? kernel.view(1, 1, -1, 1) : kernel.view(1, 1, 1, -1));
    }

    static void CheckLevel(int ts)
    {
        if (ts < 0 || ts > MaxLevel)
            throw new ArgumentOutOfRangeException(nameof(ts), ts, $"Structure level t_s = {ts} is outside [0, {MaxLevel}].");
    }
}
