using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// Conversions among ε, v and z_0 for z_t = α_t z_0 + σ_t ε with α_t² + σ_t² = 1 (paper §1). α and σ come from
/// <see cref="NoiseSchedule.AlphaSigma"/> (or are scalars), broadcastable against z_t.
/// </summary>
public static class Prediction
{
    /// <summary>The training target of a parameterization: ε, or v = α ε − σ z_0.</summary>
    public static Tensor Target(Parameterization p, Tensor x0, Tensor eps, Tensor alpha, Tensor sigma) => p switch
    {
        Parameterization.Epsilon => eps.alias(),
        Parameterization.V => alpha * eps - sigma * x0,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "Unknown parameterization."),
    };

    /// <summary>z_0 from a model output: (z_t − σ ε)/α, or α z_t − σ v.</summary>
    public static Tensor X0(Parameterization p, Tensor output, Tensor zt, Tensor alpha, Tensor sigma) => p switch
    {
        Parameterization.Epsilon => (zt - sigma * output) / alpha,
        Parameterization.V => alpha * zt - sigma * output,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "Unknown parameterization."),
    };

    /// <summary>ε from a model output: itself, or σ z_t + α v.</summary>
    public static Tensor Epsilon(Parameterization p, Tensor output, Tensor zt, Tensor alpha, Tensor sigma) => p switch
    {
        Parameterization.Epsilon => output.alias(),
        Parameterization.V => sigma * zt + alpha * output,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "Unknown parameterization."),
    };

    /// <summary>v from a model output: (ε − σ z_t)/α, or itself.</summary>
    public static Tensor V(Parameterization p, Tensor output, Tensor zt, Tensor alpha, Tensor sigma) => p switch
    {
        Parameterization.Epsilon => (output - sigma * zt) / alpha,
        Parameterization.V => output.alias(),
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "Unknown parameterization."),
    };

    /// <summary>ε from z_0: (z_t − α z_0)/σ.</summary>
    public static Tensor EpsilonFromX0(Tensor x0, Tensor zt, Tensor alpha, Tensor sigma) => (zt - alpha * x0) / sigma;
}
