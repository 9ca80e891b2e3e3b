using static TorchSharp.torch;

namespace Vidiff.Depth;

/// <summary>Structure fidelity of relative depth: the prediction is only defined up to scale and shift, so it is
/// aligned to the truth by least squares before it is compared (MiDaS evaluation protocol).</summary>
public static class DepthMetrics
{
    /// <summary>
    /// Per image, the s·prediction + t closest to <paramref name="target"/> in least squares over the mask (closed form of
    /// the 2×2 normal equations). A constant prediction carries no structure: it gets s = 0, t = mean target.
    /// Gradients flow through s and t. Shapes [N,H,W] or [N,1,H,W]; result has the prediction's shape.
    /// </summary>
    public static Tensor AlignScaleShift(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        using var scope = NewDisposeScope();
        // Centred normal equations in float64: the uncentred 2×2 form cancels badly in float32.
        var p = prediction.flatten(1).to(float64);
        var g = target.flatten(1).to(float64);
        var m = (mask ?? ones_like(target)).flatten(1).to(float64);
        var count = m.sum(1, keepdim: true).clamp_min(1);
        var meanP = (m * p).sum(1, keepdim: true) / count;
        var meanG = (m * g).sum(1, keepdim: true) / count;
        var dp = p - meanP;
        var variance = (m * dp * dp).sum(1, keepdim: true);
        var ok = variance > 1e-12 * (m * p * p).sum(1, keepdim: true);
        var s = where(ok, (m * dp * (g - meanG)).sum(1, keepdim: true) / where(ok, variance, ones_like(variance)), zeros_like(variance));
        return (s * dp + meanG).to(prediction.dtype).view_as(prediction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Scale-and-shift-invariant AbsRel: mean over images of mean |d − d*| / d* over valid pixels, where d is the
    /// prediction aligned to the truth in <paramref name="space"/> and clipped to the image's true depth range
    /// (MiDaS caps depth likewise, so a near-zero aligned disparity cannot explode the score).
    /// </summary>
    /// <param name="prediction">Relative prediction [N,H,W] or [N,1,H,W] (inverse depth for <see cref="DepthAlignment.Disparity"/>).</param>
    /// <param name="depth">True depth, same shape; pixels ≤ 0 or non-finite are ignored.</param>
    /// <param name="region">If given, the error is averaged over these pixels of all images pooled (objects, say: a
    /// whole-frame mean hides a prediction that misses them), while the alignment still uses every valid pixel.</param>
    public static double AbsRelScaleShiftInvariant(Tensor prediction, Tensor depth, Tensor? mask = null,
        DepthAlignment space = DepthAlignment.Disparity, Tensor? region = null)
    {
        if (!prediction.shape.SequenceEqual(depth.shape))
            throw new ArgumentException($"Prediction [{string.Join(",", prediction.shape)}] and depth [{string.Join(",", depth.shape)}] must have the same shape.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var d = depth.flatten(1).to(float64);
        var valid = d.gt(0).logical_and(d.isfinite());
        if (mask is not null) valid = valid.logical_and(mask.flatten(1).to(@bool));
        if (valid.sum(1).lt(2).any().item<bool>())
            throw new ArgumentException("Every image needs at least 2 valid depth pixels to align a scale and a shift.");
        var m = valid.to(float64);
        var dSafe = where(valid, d, ones_like(d));
        var big = full_like(d, double.MaxValue);
        var lo = where(valid, d, big).amin([1], keepdim: true);
        var hi = where(valid, d, -big).amax([1], keepdim: true);
        var p = prediction.flatten(1).to(float64);
        var aligned = space == DepthAlignment.Disparity
            ? 1 / AlignScaleShift(p, 1 / dSafe, m).clamp(1 / hi, 1 / lo)
            : AlignScaleShift(p, dSafe, m).clamp(lo, hi);
        var error = (aligned - dSafe).abs() / dSafe * m;
        if (region is null) return (error.sum(1) / m.sum(1)).mean().item<double>();
        var r = region.flatten(1).to(float64) * m;
        double count = r.sum().item<double>();
        return count == 0 ? double.NaN : (error * r).sum().item<double>() / count;
    }
}
