using Vidiff.Checkpoints;
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
public sealed record EditOptions(
    string? Prompt = null,
    Tensor? Image = null,
    string? NegativePrompt = null,
    Tensor? NegativeImage = null,
    int? StructureLevel = null,
    double? Guidance = null,
    double? TemporalGuidance = null,
    int? Steps = null,
    ModelConfig.SamplerKind? Sampler = null,
    long Seed = 0)
{
    /// <summary>These options with every unset knob taken from <paramref name="config"/>'s defaults, checked against the model.</summary>
    public EditOptions Resolve(ModelConfig config)
    {
        var d = config.Defaults;
        var resolved = this with
        {
            StructureLevel = StructureLevel ?? d.StructureLevel,
            Guidance = Guidance ?? d.Guidance,
            TemporalGuidance = TemporalGuidance ?? d.TemporalGuidance,
            Steps = Steps ?? d.Steps,
            Sampler = Sampler ?? d.Sampler,
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
        if (Guidance is double g && !double.IsFinite(g))
            throw new ArgumentException($"--guidance {g} is not a finite number.");
        if (TemporalGuidance is double tg && !double.IsFinite(tg))
            throw new ArgumentException($"--temporal-guidance {tg} is not a finite number.");
    }
}
