namespace Vidiff.Diffusion;

/// <summary>What the network predicts (paper §1): the noise ε, or v = α_t ε − σ_t z_0 (our default; it stays well
/// conditioned at high noise, where recovering z_0 from an ε-prediction divides by α_t ≈ 0).</summary>
public enum Parameterization
{
    Epsilon,
    V,
}
