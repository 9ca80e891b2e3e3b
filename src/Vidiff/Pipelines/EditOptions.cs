using Vidiff.Checkpoints;
using Vidiff.Diffusion;
using static TorchSharp.torch;

namespace Vidiff.Pipelines;

/// <summary>
/// What an edit is asked for (paper §5). Content is a prompt or an image (exactly one); the negative, if any,
/// replaces the null content of classifier-free guidance. Unset knobs take the model folder's defaults (<see cref="Resolve"/>).
/// </summary>
/// <param name="Image">Reference image [1, 3, H, W] in [-1, 1].</param>
/// <param name="StructureLevel">t_s: 0 follows the input's depth exactly, T_s the least (paper §3).</param>
/// <param name="Guidance">ω, content guidance (paper §5).</param>
/// <param name="TemporalGuidance">ω_t, temporal guidance (paper §5).</param>
/// <param name="GuidanceForm">How ω and ω_t combine (paper §5).</param>
/// <param name="CrossFrame">Cross-frame attention; default anchor for a model whose temporal layers are untrained.</param>
/// <param name="SharedNoise">λ, the share of the starting noise common to every frame (<see cref="Diffusion.SharedNoise"/>).</param>
public sealed record EditOptions(
    string? Prompt = null,
    Tensor? Image = null,
    string? NegativePrompt = null,
    Tensor? NegativeImage = null,
    int? StructureLevel = null,
    double? Guidance = null,
    double? TemporalGuidance = null,
    GuidanceForm? GuidanceForm = null,
    int? Steps = null,
    ModelConfig.SamplerKind? Sampler = null,
    long Seed = 0,
    CrossFrameAttention? CrossFrame = null,
    double SharedNoise = 0)
{
    /// <summary>ω: past 30 the content difference swamps the prediction and frames saturate (image UIs stop there too);
    /// below 0 it would push away from the content, which --negative does properly.</summary>
    public const double MaxGuidance = 30;

    /// <summary>ω_t: 1 is the video model, 0 the per-frame model (for the unconditional term); past 10 the extrapolation away from the per-frame
    /// model saturates frames, and below 0 it points away from the video model.</summary>
    public const double MaxTemporalGuidance = 10;

    /// <summary>These options with every unset knob taken from <paramref name="config"/>'s defaults, checked against the model.</summary>
    public EditOptions Resolve(ModelConfig config)
    {
        var d = config.Defaults;
        var resolved = this with
        {
            StructureLevel = StructureLevel ?? d.StructureLevel,
            Guidance = Guidance ?? d.Guidance,
            TemporalGuidance = TemporalGuidance ?? d.TemporalGuidance,
            GuidanceForm = GuidanceForm ?? d.GuidanceForm,
            Steps = Steps ?? d.Steps,
            Sampler = Sampler ?? d.Sampler,
            // Untrained temporal layers are the identity: without anchors the frames would not know of each other.
            CrossFrame = CrossFrame ?? (config.TemporalLayersTrained || !config.Unet.HasSpatialSelfAttention ? CrossFrameAttention.Off : CrossFrameAttention.Anchor),
        };
        resolved.Check(config);
        return resolved;
    }

    void Check(ModelConfig config)
    {
        if ((Prompt is null) == (Image is null))
            throw new ArgumentException("Give exactly one of a prompt and a reference image as the content.");
        if (NegativePrompt is not null && NegativeImage is not null)
            throw new ArgumentException("Give at most one of a negative prompt and a negative image.");
        if (StructureLevel is < 0 || StructureLevel > config.StructureLevels)
            throw new ArgumentException($"--ts {StructureLevel} is outside [0, {config.StructureLevels}] (T_s of model {config.Name}).");
        if (Steps is < 1 || Steps > config.Schedule.Steps)
            throw new ArgumentException($"--steps {Steps} is outside [1, {config.Schedule.Steps}].");
        if (CrossFrame == CrossFrameAttention.Anchor && !config.Unet.HasSpatialSelfAttention)
            throw new ArgumentException($"--cross-frame anchor needs spatial self-attention, and the UNet of model {config.Name} has none (transformer_depth 0); use --cross-frame off.");
        CheckScales();
    }

    /// <summary>The guidance scales and the noise share against their ranges: what can be checked before a model is loaded.</summary>
    public void CheckScales()
    {
        if (Guidance is double g && !(g >= 0 && g <= MaxGuidance))
            throw new ArgumentException($"--guidance {g} is outside [0, {MaxGuidance}] (ω: 1 is the plain conditional model, 0 ignores the content).");
        if (TemporalGuidance is double tg && !(tg >= 0 && tg <= MaxTemporalGuidance))
            throw new ArgumentException($"--temporal-guidance {tg} is outside [0, {MaxTemporalGuidance}] (ω_t: 1 is the video model, 0 the per-frame model's unconditional prediction).");
        if (!(SharedNoise >= 0 && SharedNoise <= 1))
            throw new ArgumentException($"--shared-noise {SharedNoise} is outside [0, 1] (the share of the starting noise common to all frames: 0 none, 1 one noise image for every frame).");
    }
}
