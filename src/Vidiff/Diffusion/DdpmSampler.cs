using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// Ancestral sampling from the posterior q(z_{t'} | z_t, ẑ_0) (Ho et al. 2020), with β'_t = 1 − ᾱ_t/ᾱ_{t'} so it also
/// holds when steps skip timesteps: mean = √ᾱ_{t'} β'/(1 − ᾱ_t) ẑ_0 + √(1 − β') (1 − ᾱ_{t'})/(1 − ᾱ_t) z_t,
/// variance = β' (1 − ᾱ_{t'})/(1 − ᾱ_t). Unlike diffusers' default, ẑ_0 is not clipped: latents are not bounded to [−1, 1].
/// </summary>
public sealed class DdpmSampler(NoiseSchedule schedule, Parameterization parameterization) : Sampler(schedule, parameterization)
{
    protected override Tensor Step(Tensor zt, Tensor x0, Tensor eps, long t, long tNext, Previous? previous, Generator? generator)
    {
        double a = AlphaBar(t), aNext = AlphaBar(tNext), beta = 1 - a / aNext;
        var mean = Math.Sqrt(aNext) * beta / (1 - a) * x0 + Math.Sqrt(1 - beta) * (1 - aNext) / (1 - a) * zt;
        double variance = beta * (1 - aNext) / (1 - a);
        return variance > 0 ? mean + Math.Sqrt(variance) * Noise(zt, generator) : mean;
    }
}
