using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>Both guidances in one sampling step (paper §5).</summary>
public static class Guidance
{
    /// <summary>
    /// A <see cref="Denoiser"/> for m̃ of <paramref name="form"/>, from the video model's predictions m(z_t, ·) and the
    /// same network's per-frame predictions m_π(z_t, ·) on the content c and the null content ∅:
    /// classifier-free guidance m(∅) + ω (m(c) − m(∅)), temporal guidance m_π + ω_t (m − m_π), combined as
    /// <see cref="GuidanceForm.Paper"/>, m_π(∅) + ω_t (m(∅) − m_π(∅)) + ω (m(c) − m(∅)), or
    /// <see cref="GuidanceForm.Both"/>, both terms temporally guided. Both guidances are linear, so m̃ is a weighted sum
    /// of the four predictions (<see cref="Weights"/>); a pass whose weight is 0 cannot change the result and is skipped
    /// (paper's form: ω_t = 1 needs no per-frame pass, ω = 0 no conditional pass), and the conditional and unconditional
    /// passes of each model share one call, concatenated along the batch.
    /// <paramref name="unconditional"/> is the null embedding, or the negative content when the user gives one; its
    /// batch may be 1.
    /// </summary>
    public static Denoiser Combine(VideoDenoiser model, Tensor content, Tensor unconditional, double contentScale, double temporalScale, GuidanceForm form)
    {
        long batch = unconditional.shape[0];
        bool fits = unconditional.dim() == content.dim() && unconditional.shape.Skip(1).SequenceEqual(content.shape.Skip(1)) && (batch == 1 || batch == content.shape[0]);
        if (!fits)
            throw new ArgumentException($"The null or negative content must have the content's shape [{string.Join(", ", content.shape)}] (or batch 1), got [{string.Join(", ", unconditional.shape)}].", nameof(unconditional));
        var (video, perFrame) = Weights(form, contentScale, temporalScale);
        return (zt, t) =>
        {
            using var scope = NewDisposeScope();
            var v = Passes(model, zt, t, content, unconditional, video, perFrame: false);
            var p = Passes(model, zt, t, content, unconditional, perFrame, perFrame: true);
            var guided = v is null ? p! : p is null ? v : v + p; // never both null: the weights sum to 1
            return guided.MoveToOuterDisposeScope();
        };
    }

    /// <summary>The weights (of c, of ∅) of the video model's and the per-frame model's predictions in m̃.</summary>
    public static ((double Content, double Null) Video, (double Content, double Null) PerFrame) Weights(GuidanceForm form, double ω, double ωt) => form switch
    {
        // m_π(∅) + ω_t (m(∅) − m_π(∅)) + ω (m(c) − m(∅))
        GuidanceForm.Paper => ((ω, ωt - ω), (0, 1 - ωt)),
        // (1 − ω_t) [(1 − ω) m_π(∅) + ω m_π(c)] + ω_t [(1 − ω) m(∅) + ω m(c)]
        GuidanceForm.Both => ((ωt * ω, ωt * (1 - ω)), ((1 - ωt) * ω, (1 - ωt) * (1 - ω))),
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, null),
    };

    // w_c m(c) + w_∅ m(∅) of one model (video or per frame); null when both weights are 0.
    static Tensor? Passes(VideoDenoiser model, Tensor zt, Tensor t, Tensor content, Tensor unconditional, (double Content, double Null) w, bool perFrame)
    {
        var uncond = unconditional.expand(content.shape);
        if (w.Null == 0) return w.Content == 0 ? null : Scaled(model(zt, t, content, perFrame), w.Content);
        if (w.Content == 0) return Scaled(model(zt, t, uncond, perFrame), w.Null);
        int batch = (int)zt.shape[0];
        var both = model(cat([zt, zt]), cat([t, t]), cat([content, uncond]), perFrame);
        return both[..batch] * w.Content + both[batch..] * w.Null;
    }

    static Tensor Scaled(Tensor x, double w) => w == 1 ? x : x * w;
}
