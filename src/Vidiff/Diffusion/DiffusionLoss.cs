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
    /// Min-SNR-γ (Hang et al. 2023): an ε error is the z_0 error times SNR, a v error times SNR + 1. For ε the z_0 error is
    /// weighted by min(SNR, γ), so the weight on the ε loss is min(SNR, γ)/SNR. For v it is weighted by min(SNR + 1, γ),
    /// as diffusers' v-prediction training scripts do ("add one to SNR"), so the weight on the v loss is
    /// min(SNR + 1, γ)/(SNR + 1): never below 1/(SNR + 1), which is 1 at zero terminal SNR. With min(SNR, γ) instead, the
    /// z_0 error at t near T weighs SNR ≈ 0 (2e-9 at t = 999 of the cosine schedule). The first sampling steps then start
    /// from an untrained prediction (the trailing timesteps begin at T − 1). The mini UNet trained that way for 2000 steps
    /// predicted z_0 well from noised data but sampled noise-coloured blotches. Float64 [B].
    /// </summary>
    public static Tensor MinSnrWeight(NoiseSchedule schedule, Parameterization p, Tensor t, double gamma)
    {
        using var scope = NewDisposeScope();
        var snr = schedule.Snr(t);
        var weight = p switch
        {
            Parameterization.Epsilon => snr.clamp(max: gamma) / snr,
            Parameterization.V => (snr + 1).clamp(max: gamma) / (snr + 1),
            _ => throw new ArgumentOutOfRangeException(nameof(p), p, "Unknown parameterization."),
        };
        return weight.MoveToOuterDisposeScope();
    }
}
