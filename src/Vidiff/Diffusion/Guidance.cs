using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>Both guidances in one sampling step (paper §5).</summary>
public static class Guidance
{
    /// <summary>
    /// A <see cref="Denoiser"/> for m̃ = m(z_t, ∅) + ω (m_g(z_t, c) − m(z_t, ∅)), where the conditional term is itself
    /// temporally guided, m_g = m_π(z_t, c) + ω_t (m(z_t, c) − m_π(z_t, c)), and the unconditional term uses the video
    /// model (our choice, paper §5). <paramref name="unconditional"/> is the null embedding, or the negative content
    /// when the user gives one; its batch may be 1. Passes that cannot change the result are skipped (ω = 1: no
    /// unconditional pass; ω = 0: only it; ω_t = 1: no per-frame pass; ω_t = 0: no conditional video pass), and the
    /// two video-model passes share one call, concatenated along the batch.
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
        bool needUnconditional = contentScale != 1, needConditional = contentScale != 0;
        bool needVideo = needConditional && temporalScale != 0, needPerFrame = needConditional && temporalScale != 1;
        long batch = zt.shape[0];

        Tensor? video = null, uncond = null, perFrame = null;
        if (needVideo && needUnconditional)
        {
            var both = model(cat([zt, zt]), cat([t, t]), cat([content, unconditional.expand(content.shape)]), perFrame: false);
            (video, uncond) = (both[..(int)batch], both[(int)batch..]);
        }
        else if (needVideo) video = model(zt, t, content, perFrame: false);
        else if (needUnconditional) uncond = model(zt, t, unconditional.expand(content.shape), perFrame: false);
        if (needPerFrame) perFrame = model(zt, t, content, perFrame: true);

        var conditional = !needConditional ? null
            : video is null ? perFrame
            : perFrame is null ? video
            : TemporalGuidance.Apply(perFrame, video, temporalScale);
        var guided = conditional is null ? uncond!
            : uncond is null ? conditional
            : ClassifierFreeGuidance.Apply(uncond, conditional, contentScale);
        return guided.MoveToOuterDisposeScope();
    }
}
