using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>Classifier-free guidance on content (paper §5).</summary>
public static class ClassifierFreeGuidance
{
    /// <summary>m̃ = m(z_t, ∅) + ω (m(z_t, c) − m(z_t, ∅)).</summary>
    public static Tensor Apply(Tensor unconditional, Tensor conditional, double scale) =>
        unconditional + scale * (conditional - unconditional);
}
