using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Customisation;
using Vidiff.Media;
using Vidiff.Pipelines;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Cli.Commands;

/// <summary>
/// One edit from files to files, as `vidiff edit` and Studio's workers run it: <see cref="Prepare"/> checks everything
/// that can be checked cheaply, then loads the model and probes the input; <see cref="Execute"/> runs the pipeline and
/// writes the output, the preview if asked, and OUT.json beside the output, each all-or-nothing.
/// </summary>
sealed class EditRun : IDisposable
{
    public EditRequest Request { get; }
    public string Input { get; }
    public string ModelPath { get; }
    public ModelFolder Model { get; }
    public FrameOptions.Opened Video { get; }
    public EditOptions Options { get; }
    public int Threads { get; }

    /// <summary>Where the networks run (`--device`, <see cref="DeviceChoice"/>).</summary>
    public Device Device => Model.Device;

    /// <summary>The dtype the networks run in, and why (`--dtype`, <see cref="PrecisionChoice"/>).</summary>
    public (ScalarType Dtype, string Reason) Dtype { get; }
    public string OutputPath { get; }
    public string PreviewVideo { get; }
    public string PreviewImage { get; }
    public string SettingsPath { get; }
    public Stopwatch Clock { get; }
    public TimeSpan PipelineTime { get; private set; }

    /// <summary>The LoRA adapters added to the UNet, in order.</summary>
    public IReadOnlyList<AppliedAdapter> Adapters { get; private init; } = [];
    readonly Tensor? image, negativeImage;

    public sealed record AppliedAdapter(string Path, double Scale, string Sha256, int Updates, int TextEncoderTensors);

    EditRun(EditRequest request, string input, string modelPath, ModelFolder model, FrameOptions.Opened video, EditOptions options, int threads,
        (ScalarType, string) dtype, string outputPath, string previewVideo, string previewImage, string settingsPath, Tensor? image, Tensor? negativeImage, Stopwatch clock)
    {
        (Request, Input, ModelPath, Model, Video, Options, Threads, Dtype) = (request, input, modelPath, model, video, options, threads, dtype);
        (OutputPath, PreviewVideo, PreviewImage, SettingsPath, this.image, this.negativeImage, Clock) = (outputPath, previewVideo, previewImage, settingsPath, image, negativeImage, clock);
    }

    public static EditRun Prepare(EditRequest r)
    {
        var clock = Stopwatch.StartNew();
        // Everything that can be checked cheaply is checked before the model loads, the device first: a device that
        // is not there fails at once instead of the edit running for hours on the CPU.
        var device = DeviceChoice.Parse(r.Device);
        if ((r.Prompt is null) == (r.Image is null))
            throw new ArgumentException("Give exactly one of -p/--prompt TEXT and --image FILE.");
        if (r.Negative is not null && r.NegativeImage is not null)
            throw new ArgumentException("Give at most one of --negative TEXT and --negative-image FILE.");
        r.Options.CheckScales();
        var input = CommandOptions.CheckInput(r.Input);
        var imagePath = r.Image is null ? null : CommandOptions.CheckImage(r.Image, "--image");
        var negativeImagePath = r.NegativeImage is null ? null : CommandOptions.CheckImage(r.NegativeImage, "--negative-image");
        var modelPath = CommandOptions.ResolveModel(r.Model);
        var reads = new List<(string, string)> { (input, "the input"), (modelPath, "the model folder") };
        if (imagePath is not null) reads.Add((imagePath, "the --image"));
        if (negativeImagePath is not null) reads.Add((negativeImagePath, "the --negative-image"));
        var adapters = (r.Adapters ?? []).Select(a => a with { Path = CommandOptions.CheckAdapter(a.Path) }).ToList();
        reads.AddRange(adapters.Select(a => (a.Path, "an --adapter")));
        var output = r.Output ?? DefaultOutput(input);
        bool folder = VideoWriter.IsFolder(output);
        var outputPath = OutputPaths.Check(output, r.Overwrite, folder, [.. reads]);
        // Files named after the output go beside it, a folder's too: never inside the folder, never a hidden ".json".
        var stem = Path.TrimEndingDirectorySeparator(outputPath);
        string previewVideo = PreviewPath(stem, folder, ".mp4"), previewImage = PreviewPath(stem, folder, ".png"), settingsPath = stem + ".json";
        foreach (var path in r.Preview ? [settingsPath, previewVideo, previewImage] : new[] { settingsPath })
            OutputPaths.Check(path, r.Overwrite, folder: false, [.. reads]);
        if (r.Overwrite && File.Exists(settingsPath) && !IsSettings(settingsPath))
            throw new IOException($"Output {settingsPath} is not a settings file Vidiff wrote; --overwrite replaces only what an earlier run wrote. Move it, or choose another output.");

        int threads = Runtime.Threads.Configure();
        var dtype = PrecisionChoice.Choose(r.Precision, device);
        var model = ModelFolder.Load(modelPath, dtype.Dtype, device);
        Tensor? image = null, negativeImage = null;
        try
        {
            EditPipeline.CheckContent(model.Config.Name, model.Config.Content, image: r.Image is not null || r.NegativeImage is not null);
            // The model's identity (hashes of its files) once, only when an adapter may name the model it was made for.
            string? identity = adapters.Count > 0 ? ModelFolder.Identity(modelPath) : null;
            var applied = adapters.Select(a => Apply(a, model, identity)).ToList();
            var (width, height) = r.Frames.Size ?? (model.Config.Width, model.Config.Height);
            int stride = model.Config.Autoencoder.Stride;
            if (width % stride != 0 || height % stride != 0)
                throw new ArgumentException($"--size {width}x{height}: width and height must be multiples of the latent stride {stride}.");
            var video = FrameOptions.Open(input, r.Frames, width, height);
            image = imagePath is null ? null : ImageFile.ReadRgb(imagePath).unsqueeze(0);
            negativeImage = negativeImagePath is null ? null : ImageFile.ReadRgb(negativeImagePath).unsqueeze(0);
            var options = (r.Options with { Prompt = r.Prompt, Image = image, NegativePrompt = r.Negative, NegativeImage = negativeImage }).Resolve(model.Config);
            return new EditRun(r, input, modelPath, model, video, options, threads, dtype, outputPath, previewVideo, previewImage, settingsPath, image, negativeImage, clock)
            {
                Adapters = applied,
            };
        }
        catch
        {
            image?.Dispose();
            negativeImage?.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>Runs the edit and writes its files; returns when each phase began. A cancelled run writes nothing.</summary>
    public Dictionary<EditProgress.Phase, TimeSpan> Execute(IProgress<EditProgress>? progress, CancellationToken token)
    {
        var began = new Dictionary<EditProgress.Phase, TimeSpan>();
        var timed = new PhaseClock(began, progress);
        var pipelineClock = Stopwatch.StartNew();
        var r = Request;
        { // the writers' scope: their ffmpeg has ended (and an unfinished output is gone) before the settings are written
            int chunk = Model.Config.WindowFrames;
            var pipeline = new EditPipeline(Model);
            using var writer = Video.Writer(OutputPath, r.Overwrite);
            using var previewWriter = r.Preview ? Video.Writer(PreviewVideo, r.Overwrite, widthFactor: 4, audio: false) : null;
            // Rows of the preview picture: first, one-third, two-thirds and last frame, so motion shows at a glance.
            var rows = Enumerable.Range(0, 4).Select(i => i * (Video.FrameCount - 1) / 3).Distinct().ToArray();
            var picture = new List<Tensor>();
            int previewed = 0;
            try
            {
                pipeline.Run(() => Video.Read(chunk), Options, writer.Write,
                    previewWriter is null ? null : strip =>
                    {
                        previewWriter.Write(strip);
                        foreach (int row in rows.Where(r => r >= previewed && r < previewed + strip.shape[0]))
                            picture.Add(strip[row - previewed].clone().DetachFromDisposeScope());
                        previewed += (int)strip.shape[0];
                    },
                    timed, token);
                writer.Complete();
                if (previewWriter is not null)
                {
                    previewWriter.Complete();
                    using var grid = cat(picture, 1);
                    ImageFile.WriteRgb(PreviewImage, grid, r.Overwrite);
                }
            }
            finally
            {
                foreach (var row in picture) row.Dispose();
            }
        }
        PipelineTime = pipelineClock.Elapsed;
        WriteSettings(SettingsPath, r, Adapters, Options, Device, Dtype, Input, Video, OutputPath, ModelPath, Model.Config, Clock.Elapsed, r.Overwrite);
        return began;
    }

    public void Dispose()
    {
        image?.Dispose();
        negativeImage?.Dispose();
        Model.Dispose();
    }

    /// <summary>Adds an adapter's update to the model's UNet (nothing at scale 0), checked against the model first.</summary>
    static AppliedAdapter Apply(AdapterChoice choice, ModelFolder model, string? identity)
    {
        using var adapter = LoraAdapter.Read(choice.Path, model.Unet, model.Config.Name, identity);
        adapter.Apply(model.Unet, choice.Scale);
        return new AppliedAdapter(choice.Path, choice.Scale, Sha256(choice.Path), adapter.Updates.Count, adapter.TextEncoderTensors);
    }

    /// <summary>Passes progress on and notes when each phase began.</summary>
    sealed class PhaseClock(Dictionary<EditProgress.Phase, TimeSpan> began, IProgress<EditProgress>? inner) : IProgress<EditProgress>
    {
        public void Report(EditProgress value)
        {
            began.TryAdd(value.Stage, value.Elapsed);
            inner?.Report(value);
        }
    }

    /// <summary>OUT.json: every setting as resolved, the model's identity and the seed, and the command that reproduces the result.</summary>
    static void WriteSettings(string path, EditRequest r, IReadOnlyList<AppliedAdapter> adapters, EditOptions o, Device device, (ScalarType Dtype, string Reason) dtype, string input, FrameOptions.Opened video, string output, string modelPath, ModelConfig config, TimeSpan elapsed, bool replace)
    {
        var settings = new Dictionary<string, object?>
        {
            ["vidiff_version"] = typeof(EditPipeline).Assembly.GetName().Version?.ToString(),
            ["input"] = input,
            ["input_sha256"] = File.Exists(input) ? Sha256(input) : null,
            ["output"] = output,
            ["prompt"] = r.Prompt,
            ["image"] = r.Image is null ? null : Path.GetFullPath(r.Image),
            ["image_sha256"] = r.Image is null ? null : Sha256(r.Image),
            ["negative"] = r.Negative,
            ["negative_image"] = r.NegativeImage is null ? null : Path.GetFullPath(r.NegativeImage),
            ["model"] = modelPath,
            ["model_name"] = config.Name,
            ["model_identity"] = ModelFolder.Identity(modelPath),
            ["adapters"] = adapters.Select(a => new Dictionary<string, object> { ["path"] = a.Path, ["sha256"] = a.Sha256, ["scale"] = a.Scale }).ToList(),
            ["ts"] = o.StructureLevel,
            ["guidance"] = o.Guidance,
            ["temporal_guidance"] = o.TemporalGuidance,
            ["guidance_form"] = o.GuidanceForm.ToString()!.ToLowerInvariant(),
            ["cross_frame"] = o.CrossFrame.ToString()!.ToLowerInvariant(),
            ["shared_noise"] = o.SharedNoise,
            ["temporal_layers_trained"] = config.TemporalLayersTrained,
            ["steps"] = o.Steps,
            ["sampler"] = o.Sampler.ToString()!.ToLowerInvariant(),
            ["seed"] = o.Seed,
            ["size"] = $"{video.Width}x{video.Height}",
            ["fit"] = r.Frames.Fit.ToString().ToLowerInvariant(),
            ["start"] = r.Frames.Start,
            ["duration"] = r.Frames.Duration,
            ["every"] = r.Frames.Every,
            ["fps"] = r.Frames.Fps,
            ["max_frames"] = r.Frames.MaxFrames,
            ["frames"] = video.FrameCount,
            ["frame_rate"] = video.FrameRate,
            ["window_frames"] = config.WindowFrames,
            ["window_overlap"] = config.WindowOverlap,
            ["device"] = DeviceChoice.Name(device),
            ["dtype"] = LongName(dtype.Dtype),
            ["dtype_reason"] = dtype.Reason,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 2),
            ["command"] = Reproduce(r, adapters, o, device, dtype.Dtype, input, output, modelPath, video),
        };
        var json = JsonSerializer.Serialize(settings, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json + "\n")), replace);
    }

    /// <summary>Whether a file is an edit's settings (a JSON object with "vidiff_version"), which --overwrite may replace.</summary>
    public static bool IsSettings(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("vidiff_version", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>"float32", "bfloat16", "float16": as the summary and OUT.json name a dtype.</summary>
    public static string LongName(ScalarType dtype) => dtype.ToString().ToLowerInvariant();

    static string Reproduce(EditRequest r, IReadOnlyList<AppliedAdapter> adapters, EditOptions o, Device device, ScalarType dtype, string input, string output, string modelPath, FrameOptions.Opened video)
    {
        var args = new List<string> { "vidiff", "edit", input };
        if (r.Prompt is not null) args.AddRange(["-p", r.Prompt]);
        if (r.Image is not null) args.AddRange(["--image", Path.GetFullPath(r.Image)]);
        if (r.Negative is not null) args.AddRange(["--negative", r.Negative]);
        if (r.NegativeImage is not null) args.AddRange(["--negative-image", Path.GetFullPath(r.NegativeImage)]);
        foreach (var a in adapters) args.AddRange(["--adapter", $"{a.Path}:{Invariant(a.Scale)}"]);
        args.AddRange(["-o", output, "--model", modelPath,
            "--ts", Invariant(o.StructureLevel), "--guidance", Invariant(o.Guidance), "--temporal-guidance", Invariant(o.TemporalGuidance),
            "--guidance-form", o.GuidanceForm.ToString()!.ToLowerInvariant(),
            "--cross-frame", o.CrossFrame.ToString()!.ToLowerInvariant(), "--shared-noise", Invariant(o.SharedNoise),
            "--steps", Invariant(o.Steps), "--sampler", o.Sampler.ToString()!.ToLowerInvariant(), "--seed", Invariant(o.Seed),
            "--size", $"{video.Width}x{video.Height}", "--fit", r.Frames.Fit.ToString().ToLowerInvariant()]);
        args.AddRange(r.Frames.Arguments());
        args.AddRange(["--device", DeviceChoice.Name(device), "--dtype", PrecisionChoice.Name(dtype)]);
        return string.Join(' ', args.Select(Quote));
    }

    static string Invariant(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    static string Quote(string arg) => arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./=:+,".Contains(c)) ? arg : $"'{arg.Replace("'", "'\\''")}'";

    static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    static string DefaultOutput(string input) =>
        Path.Combine(Path.GetDirectoryName(input)!, Path.GetFileNameWithoutExtension(input.TrimEnd(Path.DirectorySeparatorChar)) + ".edit.mp4");

    static string PreviewPath(string output, bool folder, string extension) =>
        Path.Combine(Path.GetDirectoryName(output)!, (folder ? Path.GetFileName(output) : Path.GetFileNameWithoutExtension(output)) + ".preview" + extension);

}
