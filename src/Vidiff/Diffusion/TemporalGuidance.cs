using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>Temporal guidance (paper §5): ω_t = 1 is the video model, &gt; 1 more temporally consistent, &lt; 1 towards per-frame.</summary>
public static class TemporalGuidance
{
    /// <summary>m̃ = m_π(z_t, c) + ω_t (m(z_t, c) − m_π(z_t, c)), m the video model, m_π the same network per frame.</summary>
    public static Tensor Apply(Tensor perFrame, Tensor video, double scale) =>
        perFrame + scale * (video - perFrame);
}
