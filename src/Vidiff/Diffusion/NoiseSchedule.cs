using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// The forward process q(z_t | z_{t-1}) = N(√(1−β_t) z_{t-1}, β_t I) over T steps (paper §1), kept as ᾱ_t = Π_{s≤t}(1−β_s)
/// in float64: for the cosine schedule ᾱ at t = T−1 is ~1e-9, below what float32 products keep accurately.
/// </summary>
public sealed class NoiseSchedule
{
    public const int DefaultSteps = 1000;

    readonly double[] alphasCumprod;

    NoiseSchedule(double[] betas)
    {
        alphasCumprod = new double[betas.Length];
        double product = 1;
        for (int i = 0; i < betas.Length; i++) alphasCumprod[i] = product *= 1 - betas[i];
    }

    /// <summary>Number of training timesteps T; valid timesteps are 0..T−1.</summary>
    public int T => alphasCumprod.Length;

    /// <summary>ᾱ_t for t in 0..T−1.</summary>
    public IReadOnlyList<double> AlphasCumprod => alphasCumprod;

    /// <summary>β linear in t (DDPM: 1e-4 → 0.02).</summary>
    public static NoiseSchedule Linear(double beta0 = 1e-4, double beta1 = 0.02, int steps = DefaultSteps) =>
        new(Enumerable.Range(0, steps).Select(i => beta0 + (beta1 - beta0) * i / Math.Max(steps - 1, 1)).ToArray());

    /// <summary>√β linear in t: the schedule latent diffusion / Stable Diffusion trained with (0.00085 → 0.012).</summary>
    public static NoiseSchedule ScaledLinear(double beta0 = 0.00085, double beta1 = 0.012, int steps = DefaultSteps)
    {
        double r0 = Math.Sqrt(beta0), r1 = Math.Sqrt(beta1);
        return new(Enumerable.Range(0, steps).Select(i => Math.Pow(r0 + (r1 - r0) * i / Math.Max(steps - 1, 1), 2)).ToArray());
    }

    /// <summary>
    /// Nichol &amp; Dhariwal 2021: ᾱ(τ) = cos²((τ + s)/(1 + s) · π/2), β_t = 1 − ᾱ((t+1)/T)/ᾱ(t/T), clipped at 0.999 so the
    /// last step does not become a division by zero.
    /// </summary>
    public static NoiseSchedule Cosine(int steps = DefaultSteps, double s = 0.008)
    {
        static double AlphaBar(double tau, double s) => Math.Pow(Math.Cos((tau + s) / (1 + s) * Math.PI / 2), 2);
        return new(Enumerable.Range(0, steps)
            .Select(i => Math.Min(1 - AlphaBar((i + 1.0) / steps, s) / AlphaBar((double)i / steps, s), 0.999)).ToArray());
    }

    /// <summary>
    /// √ᾱ_t and √(1−ᾱ_t) (the α_t, σ_t of the variance-preserving process) for per-sample timesteps t [B], shaped
    /// [B, 1, …] to broadcast over <paramref name="like"/> ([B, C, F, H, W] or any trailing shape), in its dtype and device.
    /// </summary>
    public (Tensor Alpha, Tensor Sigma) AlphaSigma(Tensor t, Tensor like)
    {
        using var scope = NewDisposeScope();
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = t.shape[0];
        var alphaBar = AlphaBar(t).reshape(shape);
        var alpha = alphaBar.sqrt().to(like.dtype, like.device);
        var sigma = (1 - alphaBar).sqrt().to(like.dtype, like.device);
        return (alpha.MoveToOuterDisposeScope(), sigma.MoveToOuterDisposeScope());
    }

    /// <summary>q(z_t | z_0): z_t = √ᾱ_t z_0 + √(1−ᾱ_t) ε (paper §1).</summary>
    public Tensor AddNoise(Tensor x0, Tensor eps, Tensor t)
    {
        using var scope = NewDisposeScope();
        var (alpha, sigma) = AlphaSigma(t, x0);
        return (alpha * x0 + sigma * eps).MoveToOuterDisposeScope();
    }

    /// <summary>Signal-to-noise ratio ᾱ_t / (1 − ᾱ_t), float64 [B].</summary>
    public Tensor Snr(Tensor t)
    {
        using var scope = NewDisposeScope();
        var alphaBar = AlphaBar(t);
        return (alphaBar / (1 - alphaBar)).MoveToOuterDisposeScope();
    }

    Tensor AlphaBar(Tensor t)
    {
        if (t.dim() != 1) throw new ArgumentException($"Timesteps must have shape [B], got [{string.Join(", ", t.shape)}].", nameof(t));
        using var table = tensor(alphasCumprod, float64, t.device);
        using var index = t.to(int64);
        if (index.numel() > 0 && (index.min().item<long>() < 0 || index.max().item<long>() >= T))
            throw new ArgumentOutOfRangeException(nameof(t), $"Timesteps must lie in [0, {T - 1}].");
        return table[index];
    }
}
