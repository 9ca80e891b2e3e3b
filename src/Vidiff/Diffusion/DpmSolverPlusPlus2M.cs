using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// DPM-Solver++(2M) (Lu et al. 2022), multistep second order in the data prediction, as diffusers'
/// DPMSolverMultistepScheduler (algorithm_type "dpmsolver++", solver_order 2, solver_type "midpoint",
/// final_sigmas_type "zero"). With λ = log(α/σ), h = λ_{t'} − λ_t:
/// first order  z_{t'} = (σ_{t'}/σ_t) z_t − α_{t'} (e^{−h} − 1) D_0,
/// second order adds −½ α_{t'} (e^{−h} − 1) D_1, D_1 = (D_0 − D_prev)/r, r = (λ_t − λ_prev)/h.
/// The first step has no history and the last step (to σ = 0) is first order, which returns ẑ_0.
/// </summary>
public sealed class DpmSolverPlusPlus2M(NoiseSchedule schedule, Parameterization parameterization) : Sampler(schedule, parameterization)
{
    protected override Tensor Step(Tensor zt, Tensor x0, Tensor eps, long t, long tNext, Previous? previous, Generator? generator)
    {
        if (tNext < 0) return x0.alias();
        double a = AlphaBar(t), aNext = AlphaBar(tNext);
        double sigma = Math.Sqrt(1 - a), sigmaNext = Math.Sqrt(1 - aNext), alphaNext = Math.Sqrt(aNext);
        double h = Lambda(aNext) - Lambda(a), coefficient = -alphaNext * double.ExpM1(-h);
        var z = sigmaNext / sigma * zt + coefficient * x0;
        if (previous is null) return z;
        double r = (Lambda(a) - Lambda(AlphaBar(previous.T))) / h;
        return z + 0.5 * coefficient / r * (x0 - previous.X0);
    }

    static double Lambda(double alphaBar) => 0.5 * Math.Log(alphaBar / (1 - alphaBar));
}
