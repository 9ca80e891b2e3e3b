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
        var p = prediction.flatten(1);
        var g = target.flatten(1);
        var m = (mask ?? ones_like(target)).flatten(1).to(p.dtype);
        var a00 = (m * p * p).sum(1);
        var a01 = (m * p).sum(1);
        var a11 = m.sum(1);
        var b0 = (m * p * g).sum(1);
        var b1 = (m * g).sum(1);
        var det = a00 * a11 - a01 * a01;
        // det = (Σm)² · var(p); below a relative 1e-6 of (Σm)² · E[p²] the fit is ill-posed in float32.
        var ok = det > 1e-6 * a00 * a11;
        var safe = where(ok, det, ones_like(det));
        var s = where(ok, (a11 * b0 - a01 * b1) / safe, zeros_like(det));
        var t = where(ok, (a00 * b1 - a01 * b0) / safe, b1 / a11.clamp_min(1));
        return (s.unsqueeze(1) * p + t.unsqueeze(1)).view_as(prediction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Scale-and-shift-invariant AbsRel: mean over images of mean |d − d*| / d* over valid pixels, where d is the
    /// prediction aligned to the truth in <paramref name="space"/> and clipped to the image's true depth range
    /// (MiDaS caps depth likewise, so a near-zero aligned disparity cannot explode the score).
    /// </summary>
    /// <param name="prediction">Relative prediction [N,H,W] or [N,1,H,W] (inverse depth for <see cref="DepthAlignment.Disparity"/>).</param>
    /// <param name="depth">True depth, same shape; pixels ≤ 0 or non-finite are ignored.</param>
    public static double AbsRelScaleShiftInvariant(Tensor prediction, Tensor depth, Tensor? mask = null,
        DepthAlignment space = DepthAlignment.Disparity)
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
        var absRel = ((aligned - dSafe).abs() / dSafe * m).sum(1) / m.sum(1);
        return absRel.mean().item<double>();
    }
}
