using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>The L2 training objective of paper §1 on the parameterization's target, optionally min-SNR-γ weighted.</summary>
public static class DiffusionLoss
{
    /// <summary>
    /// Mean over each sample of (output − target)², weighted per sample, then mean over the batch.
    /// <paramref name="minSnrGamma"/> null means unweighted.
    /// </summary>
    public static Tensor Compute(NoiseSchedule schedule, Parameterization p, Tensor output, Tensor x0, Tensor eps, Tensor t, double? minSnrGamma = null)
    {
        using var scope = NewDisposeScope();
        var (alpha, sigma) = schedule.AlphaSigma(t, x0);
        var target = Prediction.Target(p, x0, eps, alpha, sigma);
        var perSample = (output - target).square().flatten(1).mean([1]);
        if (minSnrGamma is double gamma) perSample = perSample * MinSnrWeight(schedule, p, t, gamma).to(perSample.dtype, perSample.device);
        return perSample.mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Min-SNR-γ (Hang et al. 2023): weight the z_0 error by min(SNR, γ). An ε error is the z_0 error times SNR, a v error
    /// times SNR + 1, so the weight on the model's own loss is min(SNR, γ)/SNR for ε and min(SNR, γ)/(SNR + 1) for v. Float64 [B].
    /// </summary>
    public static Tensor MinSnrWeight(NoiseSchedule schedule, Parameterization p, Tensor t, double gamma)
    {
        using var scope = NewDisposeScope();
        var snr = schedule.Snr(t);
        var clipped = snr.clamp(max: gamma);
        var weight = p switch
        {
            Parameterization.Epsilon => clipped / snr,
            Parameterization.V => clipped / (snr + 1),
            _ => throw new ArgumentOutOfRangeException(nameof(p), p, "Unknown parameterization."),
        };
        return weight.MoveToOuterDisposeScope();
    }
}
