using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Spectre.Console;
using Vidiff.Checkpoints;
using Vidiff.Media;
using Vidiff.Pipelines;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Cli.Commands;

/// <summary>
/// `vidiff edit`: a video and a prompt or reference image in, the edited video out (paper §3–§5), with OUT.json beside
/// it holding every setting, the model's identity and the seed.
/// </summary>
static class EditCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Video file (mp4, mov, webm, mkv, gif) or folder of numbered images." };
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Text describing the new content (CLIP text → prior, paper §4)." };
        var image = new Option<string?>("--image") { Description = "Reference image whose appearance the video takes (CLIP image embedding)." };
        var output = new Option<string?>("--output", "-o") { Description = "Output video (.mp4, .webm, .gif) or PNG folder; default INPUT.edit.mp4 beside the input." };
        var model = CommandOptions.Model();
        var ts = CommandOptions.Number<int>("--ts", "Structure level t_s: 0 follows the input's depth closely, T_s (7) the least (paper §3). Default: the model's.");
        var guidance = CommandOptions.Number<double>("--guidance", "Content guidance scale ω (paper §5). Default: the model's.");
        var temporal = CommandOptions.Number<double>("--temporal-guidance", "Temporal guidance scale ω_t: 1 plain video model, >1 more consistent, <1 towards per frame (paper §5).");
        var steps = CommandOptions.Number<int>("--steps", "Sampling steps. Default: the model's (paper §1: 50 full size, 20 mini).");
        var sampler = new Option<ModelConfig.SamplerKind?>("--sampler") { Description = "ddim or dpmpp (DPM-Solver++(2M)). Default: the model's." };
        var seed = CommandOptions.Number<long>("--seed", "Seed of the noise (and of the prior); default 0.");
        var negative = new Option<string?>("--negative") { Description = "Text to steer away from (replaces the null content of classifier-free guidance)." };
        var negativeImage = new Option<string?>("--negative-image") { Description = "Image to steer away from." };
        var preview = new Option<bool>("--preview") { Description = "Also write OUT.preview.mp4 (input | depth | structure at t_s | output) and OUT.preview.png (the same for four frames across the clip, one row each)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output." };
        var bf16 = CommandOptions.Bf16();
        var frames = new FrameOptions();

        var command = new Command("edit", "Edit a video: keep its structure (depth), take new content from a prompt or an image.")
        {
            input, prompt, image, output, model, ts, guidance, temporal, steps, sampler, seed, negative, negativeImage,
        };
        frames.AddTo(command);
        command.Add(preview);
        command.Add(overwrite);
        command.Add(bf16);
        command.SetAction(parse => CommandErrors.Run(() => Run(new Request(
            parse.GetValue(input)!, parse.GetValue(prompt), parse.GetValue(image), parse.GetValue(output), parse.GetValue(model),
            new EditOptions(
                StructureLevel: parse.GetValue(ts), Guidance: parse.GetValue(guidance), TemporalGuidance: parse.GetValue(temporal),
                Steps: parse.GetValue(steps), Sampler: parse.GetValue(sampler), Seed: parse.GetValue(seed) ?? 0),
            parse.GetValue(negative), parse.GetValue(negativeImage), frames.Read(parse), parse.GetValue(preview), parse.GetValue(overwrite), parse.GetValue(bf16)))));
        return command;
    }

    sealed record Request(string Input, string? Prompt, string? Image, string? Output, string? Model, EditOptions Options,
        string? Negative, string? NegativeImage, FrameOptions.Values Frames, bool Preview, bool Overwrite, bool Bf16);

    static int Run(Request r)
    {
        var clock = Stopwatch.StartNew();
        using var cooperate = Shutdown.Cooperate(); // the pipeline stops within a step; the writers remove their temp files
        // Everything that can be checked cheaply is checked before the model loads.
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

        int threads = Threads.Configure();
        using var model = ModelFolder.Load(modelPath, r.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
        var (width, height) = r.Frames.Size ?? (model.Config.Width, model.Config.Height);
        int stride = model.Config.Autoencoder.Stride;
        if (width % stride != 0 || height % stride != 0)
            throw new ArgumentException($"--size {width}x{height}: width and height must be multiples of the latent stride {stride}.");
        var video = FrameOptions.Open(input, r.Frames, width, height);

        using var image = imagePath is null ? null : ImageFile.ReadRgb(imagePath).unsqueeze(0);
        using var negativeImage = negativeImagePath is null ? null : ImageFile.ReadRgb(negativeImagePath).unsqueeze(0);
        var options = (r.Options with { Prompt = r.Prompt, Image = image, NegativePrompt = r.Negative, NegativeImage = negativeImage }).Resolve(model.Config);

        var summary = new Table().HideHeaders().AddColumns("", "");
        summary.AddRow("input", CommandErrors.Escape($"{input} ({video.Probe.Width}×{video.Probe.Height}, {video.Probe.FrameRate:0.###} fps)"));
        summary.AddRow("frames", $"{video.FrameCount} at {width}×{height} ({r.Frames.Fit.ToString().ToLowerInvariant()})");
        summary.AddRow("content", CommandErrors.Escape(r.Prompt is not null ? $"\"{r.Prompt}\"" : $"image {r.Image}"));
        if (r.Negative is not null || r.NegativeImage is not null)
            summary.AddRow("negative", CommandErrors.Escape(r.Negative is not null ? $"\"{r.Negative}\"" : $"image {r.NegativeImage}"));
        summary.AddRow("model", CommandErrors.Escape($"{model.Config.Name} ({modelPath})"));
        summary.AddRow("t_s, ω, ω_t", $"{options.StructureLevel}, {options.Guidance}, {options.TemporalGuidance}");
        summary.AddRow("sampler", $"{options.Sampler.ToString()!.ToLowerInvariant()}, {options.Steps} steps, seed {options.Seed}");
        summary.AddRow("windows", $"{FrameWindows.Plan(video.FrameCount, model.Config.WindowFrames, model.Config.WindowOverlap).Windows.Count} of {model.Config.WindowFrames} frames, overlap {model.Config.WindowOverlap}");
        summary.AddRow("threads, dtype", $"{threads}, {(r.Bf16 ? "bfloat16" : "float32")}" +
            (r.Bf16 && NativeRuntime.OneDnnDisabledReason is not null ? " (slow here: oneDNN is off on this CPU, see vidiff info)" : ""));
        AnsiConsole.Write(summary);
        var phases = new Dictionary<EditProgress.Phase, TimeSpan>();
        var pipelineClock = Stopwatch.StartNew();
        { // the writers' scope: their ffmpeg has ended (and an unfinished output is gone) before the settings are written
            int chunk = model.Config.WindowFrames;
            var pipeline = new EditPipeline(model);
            using var writer = video.Writer(outputPath, r.Overwrite);
            using var previewWriter = r.Preview ? video.Writer(previewVideo, r.Overwrite, widthFactor: 4, audio: false) : null;
            // Rows of the preview picture: first, one-third, two-thirds and last frame, so motion shows at a glance.
            var rows = Enumerable.Range(0, 4).Select(i => i * (video.FrameCount - 1) / 3).Distinct().ToArray();
            var picture = new List<Tensor>();
            int previewed = 0;
            try
            {
                phases = RunWithProgress(video.FrameCount, options.Steps!.Value, progress => pipeline.Run(
                    () => video.Read(chunk), options, writer.Write,
                    previewWriter is null ? null : strip =>
                    {
                        previewWriter.Write(strip);
                        foreach (int row in rows.Where(r => r >= previewed && r < previewed + strip.shape[0]))
                            picture.Add(strip[row - previewed].clone().DetachFromDisposeScope());
                        previewed += (int)strip.shape[0];
                    },
                    progress, Shutdown.Token));
                writer.Complete();
                if (previewWriter is not null)
                {
                    previewWriter.Complete();
                    using var grid = cat(picture, 1);
                    ImageFile.WriteRgb(previewImage, grid, r.Overwrite);
                }
            }
            finally
            {
                foreach (var row in picture) row.Dispose();
            }
        }

        var total = pipelineClock.Elapsed;
        WriteSettings(settingsPath, r, options, input, video, outputPath, modelPath, model.Config, clock.Elapsed, r.Overwrite);
        AnsiConsole.MarkupLine($"wrote [bold]{CommandErrors.Escape(outputPath)}[/] ({video.FrameCount} frames) in {clock.Elapsed.TotalSeconds:F1} s");
        AnsiConsole.MarkupLine($"[grey]{PhaseTimes(phases, total)}[/]");
        if (r.Preview) AnsiConsole.MarkupLine($"preview [bold]{CommandErrors.Escape(previewVideo)}[/] and {CommandErrors.Escape(previewImage)}");
        return 0;
    }

    /// <summary>Spectre progress bars for the phases; returns the time at which each phase began.</summary>
    static Dictionary<EditProgress.Phase, TimeSpan> RunWithProgress(int frames, int steps, Action<IProgress<EditProgress>> run)
    {
        var began = new Dictionary<EditProgress.Phase, TimeSpan>();
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var structure = context.AddTask("depth → structure", maxValue: frames);
                var denoise = context.AddTask("denoise", maxValue: steps);
                var decode = context.AddTask("decode", maxValue: frames);
                run(new Progress(p =>
                {
                    // Logs and job runners see no bars: one line as each phase begins says where the run is.
                    if (began.TryAdd(p.Stage, p.Elapsed) && !AnsiConsole.Profile.Capabilities.Interactive)
                        AnsiConsole.WriteLine($"{p.Stage.ToString().ToLowerInvariant()} …");
                    switch (p.Stage)
                    {
                        case EditProgress.Phase.Structure: structure.Value = p.Frames; break;
                        case EditProgress.Phase.Denoise:
                            structure.Value = frames;
                            denoise.Description = $"denoise (window {p.Window}/{p.Windows})";
                            denoise.Value = p.Step - 1 + (double)p.Window / p.Windows;
                            break;
                        case EditProgress.Phase.Decode:
                            denoise.Value = steps;
                            decode.Value = p.Frames;
                            break;
                    }
                }));
            });
        return began;
    }

    /// <summary>"structure 1.2 s, content 0.1 s, denoise 30.5 s, decode 2.0 s": where the time went.</summary>
    static string PhaseTimes(Dictionary<EditProgress.Phase, TimeSpan> began, TimeSpan total)
    {
        var order = began.OrderBy(kv => kv.Value).ToList();
        return string.Join(", ", order.Select((kv, i) =>
            $"{kv.Key.ToString().ToLowerInvariant()} {((i + 1 < order.Count ? order[i + 1].Value : total) - kv.Value).TotalSeconds:F1} s"));
    }

    /// <summary>OUT.json: every setting as resolved, the model's identity and the seed, and the command that reproduces the result.</summary>
    static void WriteSettings(string path, Request r, EditOptions o, string input, FrameOptions.Opened video, string output, string modelPath, ModelConfig config, TimeSpan elapsed, bool replace)
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
            ["ts"] = o.StructureLevel,
            ["guidance"] = o.Guidance,
            ["temporal_guidance"] = o.TemporalGuidance,
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
            ["dtype"] = r.Bf16 ? "bfloat16" : "float32",
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 2),
            ["command"] = Reproduce(r, o, input, output, modelPath, video),
        };
        var json = JsonSerializer.Serialize(settings, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json + "\n")), replace);
    }

    /// <summary>Whether a file is an edit's settings (a JSON object with "vidiff_version"), which --overwrite may replace.</summary>
    static bool IsSettings(string path)
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

    static string Reproduce(Request r, EditOptions o, string input, string output, string modelPath, FrameOptions.Opened video)
    {
        var args = new List<string> { "vidiff", "edit", input };
        if (r.Prompt is not null) args.AddRange(["-p", r.Prompt]);
        if (r.Image is not null) args.AddRange(["--image", Path.GetFullPath(r.Image)]);
        if (r.Negative is not null) args.AddRange(["--negative", r.Negative]);
        if (r.NegativeImage is not null) args.AddRange(["--negative-image", Path.GetFullPath(r.NegativeImage)]);
        args.AddRange(["-o", output, "--model", modelPath,
            "--ts", Invariant(o.StructureLevel), "--guidance", Invariant(o.Guidance), "--temporal-guidance", Invariant(o.TemporalGuidance),
            "--steps", Invariant(o.Steps), "--sampler", o.Sampler.ToString()!.ToLowerInvariant(), "--seed", Invariant(o.Seed),
            "--size", $"{video.Width}x{video.Height}", "--fit", r.Frames.Fit.ToString().ToLowerInvariant()]);
        args.AddRange(r.Frames.Arguments());
        if (r.Bf16) args.Add("--bf16");
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

    sealed class Progress(Action<EditProgress> report) : IProgress<EditProgress>
    {
        public void Report(EditProgress value) => report(value);
    }
}
