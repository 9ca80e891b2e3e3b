namespace Vidiff.Diffusion;

/// <summary>How classifier-free guidance ω and temporal guidance ω_t combine in one sampling step (paper §5).</summary>
public enum GuidanceForm
{
    /// <summary>The paper's: m̃ = m_π(∅) + ω_t (m(∅) − m_π(∅)) + ω (m(c) − m(∅)). Temporal guidance acts on the
    /// unconditional prediction, content guidance is the video model's difference: three passes per step.</summary>
    Paper,

    /// <summary>Both terms temporally guided: m̃ = m_g(∅) + ω (m_g(c) − m_g(∅)), m_g(·) = m_π(·) + ω_t (m(·) − m_π(·)),
    /// which is temporal guidance between the classifier-free-guided per-frame and video predictions: four passes.
    /// At ω_t = 0 it is the per-frame model alone, the image model run on each frame.</summary>
    Both,
}
