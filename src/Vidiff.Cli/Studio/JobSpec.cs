using Vidiff.Checkpoints;
using Vidiff.Cli.Commands;
using Vidiff.Media;
using Vidiff.Pipelines;
using Vidiff.Runtime;

namespace Vidiff.Cli.Studio;

/// <summary>
/// What a job asks for (job.json in its folder): the knobs of `vidiff edit`, the model by its name in the catalogue,
/// and the job's files by the names Studio gave them (<see cref="JobStore"/>); the names the user's files had are kept
/// for display only and never touch the file system.
/// </summary>
public sealed record JobSpec(
    string Id,
    DateTimeOffset Created,
    string Model,
    string InputName,
    string? Prompt = null,
    string? ImageName = null,
    string? Negative = null,
    string? NegativeImageName = null,
    int? Ts = null,
    double? Guidance = null,
    double? TemporalGuidance = null,
    int? Steps = null,
    long Seed = 0,
    ModelConfig.SamplerKind? Sampler = null,
    string? Size = null,
    double? Start = null,
    double? Duration = null,
    bool Bf16 = true,
    string? EngineId = null)
{
    /// <summary>The job's input as Studio stored it, with the extension that tells ffmpeg its format.</summary>
    public string InputFile => JobStore.InputPrefix + Path.GetExtension(InputName).ToLowerInvariant();

    public string? ImageFile => ImageName is null ? null : JobStore.ImagePrefix + Path.GetExtension(ImageName).ToLowerInvariant();

    public string? NegativeImageFile => NegativeImageName is null ? null : JobStore.NegativeImagePrefix + Path.GetExtension(NegativeImageName).ToLowerInvariant();

    /// <summary>The same edit as `vidiff edit` runs it, on the files in <paramref name="folder"/>.</summary>
    internal EditRequest ToRequest(string folder, string modelPath) => new(
        Path.Combine(folder, InputFile), Prompt, ImageFile is null ? null : Path.Combine(folder, ImageFile),
        Path.Combine(folder, JobStore.OutputFile), modelPath,
        new EditOptions(StructureLevel: Ts, Guidance: Guidance, TemporalGuidance: TemporalGuidance, Steps: Steps, Sampler: Sampler, Seed: Seed),
        Negative, NegativeImageFile is null ? null : Path.Combine(folder, NegativeImageFile),
        new FrameOptions.Values(CommandOptions.ParseSize(Size), FrameFit.Crop, Start, Duration, null, null, null),
        Preview: true, Overwrite: true, Bf16 ? Precision.Bf16 : Precision.Fp32);
}
