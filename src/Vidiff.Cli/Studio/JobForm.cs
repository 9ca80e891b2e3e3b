using System.Globalization;
using System.Numerics;
using Microsoft.AspNetCore.Http;
using Vidiff.Checkpoints;
using Vidiff.Cli.Commands;
using Vidiff.Media;
using Vidiff.Pipelines;

namespace Vidiff.Cli.Studio;

/// <summary>
/// A job's upload form (multipart: a video, the sample or an earlier job's input, prompt or image, negatives, knobs, model) turned into a job folder:
/// every value checked as `vidiff edit` checks it, the files stored under Studio's own names and probed with ffprobe
/// against the limits, all before the job is accepted. What is refused leaves nothing behind (the caller removes the
/// staging folder).
/// </summary>
public sealed class JobForm(StudioOptions options, ModelCatalog models, JobStore store)
{
    public const string Sample = "ring-and-ball";
    public static readonly string[] VideoExtensions = [".mp4", ".mov", ".webm", ".mkv", ".gif", ".avi", ".m4v"];
    public static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".webp", ".bmp"];

    public static string? SamplePath() => CommandOptions.FindBundled(Path.Combine("samples", Sample + ".mp4"));

    /// <summary>Checks the form, stores its files in <paramref name="staging"/> and returns the job it asks for.</summary>
    public async Task<JobSpec> Read(IFormCollection form, string id, string staging, CancellationToken cancel)
    {
        var modelName = Text(form, "model") ?? models.List().FirstOrDefault()?.Name
            ?? throw new ArgumentException("No model is available: start vidiff serve with --models DIR, or from a checkout that has models/mini.");
        var model = models.Find(modelName)
            ?? throw new ArgumentException($"model '{modelName}' is not one of: {string.Join(", ", models.List().Select(m => m.Name))}.");

        var prompt = Text(form, "prompt");
        var image = form.Files.GetFile("image");
        if ((prompt is null) == (image is null)) throw new ArgumentException("Give exactly one of a prompt and a reference image.");
        var negative = Text(form, "negative");
        var negativeImage = form.Files.GetFile("negative_image");
        if (negative is not null && negativeImage is not null) throw new ArgumentException("Give at most one of a negative prompt and a negative image.");
        EditPipeline.CheckContent(model.Title, model.Content, image: image is not null || negativeImage is not null);

        var spec = new JobSpec(id, DateTimeOffset.UtcNow, model.Name, "", prompt, DisplayName(image), negative, DisplayName(negativeImage),
            Ts: Number<int>(form, "ts"), Guidance: Number<double>(form, "guidance"), TemporalGuidance: Number<double>(form, "temporal_guidance"),
            Steps: Number<int>(form, "steps"), Seed: Number<long>(form, "seed") ?? 0, Sampler: Sampler(form),
            Size: Text(form, "size"), Start: Number<double>(form, "start"), Duration: Number<double>(form, "duration"),
            Bf16: Text(form, "bf16") is not { } b || b is "true" or "on" or "1");

        // The knobs against the model, as vidiff edit checks them (the content is checked above).
        var config = ModelFolder.ReadConfig(model.Path);
        new EditOptions(Prompt: prompt ?? "", StructureLevel: spec.Ts, Guidance: spec.Guidance, TemporalGuidance: spec.TemporalGuidance,
            Steps: spec.Steps, Sampler: spec.Sampler).Resolve(config);
        var frames = new FrameOptions.Values(CommandOptions.ParseSize(spec.Size), FrameFit.Crop, spec.Start, spec.Duration, null, null, null);
        frames.Check();

        var video = form.Files.GetFile("video");
        var sample = Text(form, "sample");
        var from = Text(form, "from_job");
        if (new object?[] { video, sample, from }.Count(x => x is not null) != 1)
            throw new ArgumentException($"Give exactly one of a video file, sample={Sample} and from_job=ID (an earlier job's input).");
        if (sample is not null)
        {
            var path = sample == Sample ? SamplePath() : null;
            if (path is null) throw new ArgumentException($"sample '{CommandErrors.Printable(sample)}' is not available here (this Studio has {(SamplePath() is null ? "no sample" : Sample)}).");
            spec = spec with { InputName = Sample + ".mp4" };
            File.Copy(path, Path.Combine(staging, spec.InputFile));
        }
        else if (from is not null)
        {
            if (!JobStore.IsId(from) || store.Spec(from) is not { } earlier) throw new ArgumentException($"from_job '{CommandErrors.Printable(from)}' is not a job here.");
            spec = spec with { InputName = earlier.InputName };
            File.Copy(store.PathOf(from, earlier.InputFile), Path.Combine(staging, spec.InputFile));
        }
        else
        {
            spec = spec with { InputName = DisplayName(video)! };
            await Save(video!, Path.Combine(staging, Extension(video!, VideoExtensions, "video", VideoProbe.Expected, spec.InputFile)), cancel);
        }
        CheckVideo(Path.Combine(staging, spec.InputFile), spec.InputName, frames, config);
        if (image is not null) await SaveImage(image, Path.Combine(staging, spec.ImageFile!), cancel);
        if (negativeImage is not null) await SaveImage(negativeImage, Path.Combine(staging, spec.NegativeImageFile!), cancel);
        return spec;
    }

    /// <summary>ffprobe's view of the upload against the limits, and the frames the edit would take from it.</summary>
    void CheckVideo(string path, string name, FrameOptions.Values frames, ModelConfig config)
    {
        VideoProbe probe;
        try
        {
            probe = VideoProbe.Run(path);
        }
        catch (Exception e) when (CommandErrors.IsUserError(e))
        {
            throw new InvalidDataException($"The video '{name}' cannot be read: expected {VideoProbe.Expected} ffmpeg can decode.", e);
        }
        if (probe.Duration > options.MaxSeconds)
            throw new InvalidDataException($"The video '{name}' lasts {probe.Duration:0.#} s; the limit is {options.MaxSeconds:0.#} s (vidiff serve --max-seconds).");
        if (probe.Width > options.MaxSide || probe.Height > options.MaxSide)
            throw new InvalidDataException($"The video '{name}' is {probe.Width}×{probe.Height}; the limit is {options.MaxSide} pixels a side (vidiff serve --max-side).");
        var (width, height) = frames.Size ?? (config.Width, config.Height);
        if (width % config.Autoencoder.Stride != 0 || height % config.Autoencoder.Stride != 0)
            throw new ArgumentException($"size {width}x{height}: width and height must be multiples of the latent stride {config.Autoencoder.Stride}.");
        FrameOptions.Open(path, frames, width, height);
    }

    static async Task SaveImage(IFormFile file, string path, CancellationToken cancel)
    {
        Extension(file, ImageExtensions, "image", ImageFile.Expected, path);
        await Save(file, path, cancel);
        try
        {
            ImageFile.ReadRgb(path).Dispose();
        }
        catch (Exception e) when (CommandErrors.IsUserError(e))
        {
            throw new InvalidDataException($"The image '{DisplayName(file)}' cannot be read: expected {ImageFile.Expected}.", e);
        }
    }

    static async Task Save(IFormFile file, string path, CancellationToken cancel)
    {
        await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        await file.CopyToAsync(stream, cancel);
    }

    /// <summary>The upload's extension, which must be one of <paramref name="allowed"/>; returns <paramref name="stored"/>.</summary>
    static string Extension(IFormFile file, string[] allowed, string what, string expected, string stored)
    {
        var extension = Path.GetExtension(file.FileName).ToLowerInvariant();
        if (!allowed.Contains(extension))
            throw new ArgumentException($"The {what} '{DisplayName(file)}' has no known extension ({string.Join(", ", allowed)}); expected {expected}.");
        return stored;
    }

    /// <summary>The name the user's file had, for display: its last segment, printable, at most 100 characters.</summary>
    static string? DisplayName(IFormFile? file)
    {
        if (file is null) return null;
        var name = CommandErrors.Printable(Path.GetFileName(file.FileName.Replace('\\', '/')));
        return name.Length <= 100 ? name : name[..90] + "…" + Path.GetExtension(name);
    }

    static string? Text(IFormCollection form, string name) => form.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;

    static T? Number<T>(IFormCollection form, string name) where T : struct, INumber<T>
    {
        if (Text(form, name) is not { } text) return null;
        if (T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && T.IsFinite(value)) return value;
        throw new ArgumentException($"{name} expects {(typeof(T) == typeof(int) || typeof(T) == typeof(long) ? "an integer" : "a finite number")}, got '{CommandErrors.Printable(text)}'.");
    }

    static ModelConfig.SamplerKind? Sampler(IFormCollection form)
    {
        if (Text(form, "sampler") is not { } text) return null;
        return Enum.TryParse<ModelConfig.SamplerKind>(text, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
            ? kind : throw new ArgumentException($"sampler expects ddim or dpmpp, got '{CommandErrors.Printable(text)}'.");
    }
}
