using static TorchSharp.torch;

namespace Vidiff.Depth;

/// <summary>
/// The MiDaS training loss (Ranftl et al. 2020, "Towards Robust Monocular Depth Estimation"): relative depth from mixed
/// sources has unknown scale and shift per image, so each prediction is first aligned to its target by least squares
/// (<see cref="DepthMetrics.AlignScaleShift"/>), then scored by MSE or trimmed absolute error, plus an optional
/// multi-scale gradient-matching term on the aligned residual that sharpens discontinuities. Train in disparity space
/// (target = 1/depth), as the estimator predicts inverse depth.
/// </summary>
/// <param name="trimFraction">Share of largest residuals per image ignored by <see cref="SsiLossKind.TrimmedAbsolute"/>.</param>
public sealed class ScaleShiftInvariantLoss(SsiLossKind kind = SsiLossKind.Mse, double gradientWeight = 0.5,
    int gradientScales = 4, double trimFraction = 0.2)
{
    /// <summary>Prediction and target [N,H,W] or [N,1,H,W]; mask (optional, same shape) marks valid target pixels.</summary>
    public Tensor Compute(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        if (!prediction.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"Prediction [{string.Join(",", prediction.shape)}] and target [{string.Join(",", target.shape)}] must have the same shape.");
        using var scope = NewDisposeScope();
        long n = prediction.shape[0], h = prediction.shape[^2], w = prediction.shape[^1];
        var m = (mask ?? ones_like(target)).reshape(n, h, w).to(prediction.dtype);
        var residual = (DepthMetrics.AlignScaleShift(prediction, target, m) - target).reshape(n, h, w);
        var loss = kind == SsiLossKind.Mse ? (m * residual * residual).sum() / m.sum().clamp_min(1) : Trimmed(residual, m);
        if (gradientWeight > 0) loss = loss + gradientWeight * GradientMatching(residual, m);
        return loss.MoveToOuterDisposeScope();
    }

    Tensor Trimmed(Tensor residual, Tensor m)
    {
        var r = where(m.gt(0), residual.abs(), full_like(residual, double.PositiveInfinity)).flatten(1);
        var sorted = r.sort(1).Values;
        var keep = (m.flatten(1).sum(1) * (1 - trimFraction)).floor();
        var kept = arange(sorted.shape[1], device: sorted.device).unsqueeze(0).lt(keep.unsqueeze(1));
        return where(kept, sorted, zeros_like(sorted)).sum() / keep.sum().clamp_min(1);
    }

    // Ranftl et al. eq. (11): |∇x R| + |∇y R| of the aligned residual R at 4 scales (every 2^k-th pixel).
    Tensor GradientMatching(Tensor residual, Tensor m)
    {
        var total = zeros(1, dtype: residual.dtype, device: residual.device).squeeze();
        for (int k = 0; k < gradientScales; k++)
        {
            long step = 1L << k;
            var r = (residual * m)[.., TensorIndex.Slice(null, null, step), TensorIndex.Slice(null, null, step)];
            var mk = m[.., TensorIndex.Slice(null, null, step), TensorIndex.Slice(null, null, step)];
            if (r.shape[1] < 2 || r.shape[2] < 2) break;
            var gx = (r[.., .., 1..] - r[.., .., ..^1]).abs() * mk[.., .., 1..] * mk[.., .., ..^1];
            var gy = (r[.., 1.., ..] - r[.., ..^1, ..]).abs() * mk[.., 1.., ..] * mk[.., ..^1, ..];
            total = total + (gx.sum() + gy.sum()) / mk.sum().clamp_min(1);
        }
        return total;
    }
}
