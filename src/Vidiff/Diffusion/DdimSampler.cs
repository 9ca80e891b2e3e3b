using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// DDIM (Song et al. 2021), the deterministic sampler of paper §1 at η = 0:
/// z_{t'} = √ᾱ_{t'} ẑ_0 + √(1 − ᾱ_{t'} − s²) ε̂ + s·n, s = η √((1 − ᾱ_{t'})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'}).
/// η = 1 is the DDPM posterior.
/// </summary>
public sealed class DdimSampler(NoiseSchedule schedule, Parameterization parameterization, double eta = 0) : Sampler(schedule, parameterization)
{
    public double Eta { get; } = eta >= 0 ? eta : throw new ArgumentOutOfRangeException(nameof(eta), eta, "DDIM η must be ≥ 0.");

    protected override Tensor Step(Tensor zt, Tensor x0, Tensor eps, long t, long tNext, Previous? previous, Generator? generator)
    {
        double a = AlphaBar(t), aNext = AlphaBar(tNext);
        double s2 = Eta * Eta * (1 - aNext) / (1 - a) * (1 - a / aNext);
        var z = Math.Sqrt(aNext) * x0 + Math.Sqrt(Math.Max(1 - aNext - s2, 0)) * eps;
        return s2 > 0 ? z + Math.Sqrt(s2) * Noise(zt, generator) : z;
    }
}
