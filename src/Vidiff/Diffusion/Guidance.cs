using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>Both guidances in one sampling step (paper §5).</summary>
public static class Guidance
{
    /// <summary>
    /// A <see cref="Denoiser"/> for m̃ = m_g(z_t, ∅) + ω (m_g(z_t, c) − m_g(z_t, ∅)), where both terms are temporally
    /// guided, m_g(·) = m_π(z_t, ·) + ω_t (m(z_t, ·) − m_π(z_t, ·)) (our choice, paper §5). Guiding only the conditional
    /// term lets ω scale the temporal term too; guiding both makes ω scale content alone, and it is what made prompt
    /// consistency rise with ω on the mini model (docs/model-card-mini.md). Both guidances are linear, so this is
    /// temporal guidance between the classifier-free-guided per-frame and video predictions.
    /// <paramref name="unconditional"/> is the null embedding, or the negative content when the user gives one; its
    /// batch may be 1. Passes that cannot change the result are skipped (ω = 1: no unconditional pass; ω = 0: no
    /// conditional pass; ω_t = 1: no per-frame pass; ω_t = 0: no video pass), and the conditional and unconditional
    /// passes of each model share one call, concatenated along the batch.
    /// </summary>
    public static Denoiser Combine(VideoDenoiser model, Tensor content, Tensor unconditional, double contentScale, double temporalScale)
    {
        long batch = unconditional.shape[0];
        bool fits = unconditional.dim() == content.dim() && unconditional.shape.Skip(1).SequenceEqual(content.shape.Skip(1)) && (batch == 1 || batch == content.shape[0]);
        if (!fits)
            throw new ArgumentException($"The null or negative content must have the content's shape [{string.Join(", ", content.shape)}] (or batch 1), got [{string.Join(", ", unconditional.shape)}].", nameof(unconditional));
        return (zt, t) => Guide(model, zt, t, content, unconditional, contentScale, temporalScale);
    }

    static Tensor Guide(VideoDenoiser model, Tensor zt, Tensor t, Tensor content, Tensor unconditional, double contentScale, double temporalScale)
    {
        using var scope = NewDisposeScope();
        var video = temporalScale == 0 ? null : ContentGuided(model, zt, t, content, unconditional, contentScale, perFrame: false);
        var perFrame = temporalScale == 1 ? null : ContentGuided(model, zt, t, content, unconditional, contentScale, perFrame: true);
        var guided = video is null ? perFrame! : perFrame is null ? video : TemporalGuidance.Apply(perFrame, video, temporalScale);
        return guided.MoveToOuterDisposeScope();
    }

    // Classifier-free guidance within one model (video or per-frame), its two passes in one call.
    static Tensor ContentGuided(VideoDenoiser model, Tensor zt, Tensor t, Tensor content, Tensor unconditional, double contentScale, bool perFrame)
    {
        if (contentScale == 1) return model(zt, t, content, perFrame);
        var uncond = unconditional.expand(content.shape);
        if (contentScale == 0) return model(zt, t, uncond, perFrame);
        int batch = (int)zt.shape[0];
        var both = model(cat([zt, zt]), cat([t, t]), cat([content, uncond]), perFrame);
        return ClassifierFreeGuidance.Apply(both[batch..], both[..batch], contentScale);
    }
}
