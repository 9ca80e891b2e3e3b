using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Vidiff.Checkpoints;
using Vidiff.Evaluation;
using Vidiff.Media;
using Vidiff.Runtime;
using Vidiff.Synthetic;

namespace Vidiff.Cli.Commands;

/// <summary>
/// `vidiff eval`: the figures of issue 5 §4 for a model folder, on held-out scenes it renders (and caches) itself,
/// as a table with bars, and optionally as JSON and a markdown table for the model card.
/// </summary>
static class EvalCommand
{
    public static Command Create()
    {
        var model = CommandOptions.Model();
        var clips = new Option<int>("--clips") { Description = "Held-out clips to edit (13 edits each with the full t_s sweep).", DefaultValueFactory = _ => 8 };
        var guidanceClips = new Option<int>("--guidance-clips")
        {
            Description = "Held-out clips for the guidance figure, the --clips ones and more (2 edits each): its per-clip spread needs many.",
            DefaultValueFactory = _ => new EvalOptions().GuidanceClips,
        };
        var frames = new Option<int>("--frames") { Description = "Frames of each clip to edit.", DefaultValueFactory = _ => 16 };
        var seed = new Option<int>("--seed") { Description = "Data set seed of the held-out scenes (not the training data's).", DefaultValueFactory = _ => 2 };
        var trainSeed = new Option<int>("--train-seed") { Description = "Seed the training data was rendered with (`vidiff synth --seed`); its scenes are excluded.", DefaultValueFactory = _ => 1 };
        var steps = CommandOptions.Number<int>("--steps", "Sampling steps of the edits (default: the model's; the speed bar is judged at 20).");
        var ts = new Option<string?>("--ts") { Description = "Structure levels to sweep, e.g. 0,2,4,7 (default every level 0..T_s; must include 0)." };
        var data = new Option<string?>("--data") { Description = "Cache folder of the held-out scenes (default data/eval-wV-seedS-NNpx-Ff, V the world version)." };
        var output = new Option<string?>("--out") { Description = "Write the report (settings, figures, every clip's results) as JSON." };
        var markdown = new Option<string?>("--markdown") { Description = "Write the figures as a markdown table (for docs/model-card-*.md)." };
        var sheet = new Option<string?>("--sheet") { Description = "Write a PNG, one row per clip (middle frame): input | object colour edit | the same with the true mask outlined | perfect object edit (rendered) | floor colour edit | reference | reference edit | own-frame edit." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing --out, --markdown and --sheet files." };
        var precision = CommandOptions.PrecisionOptions();
        var device = CommandOptions.Device();
        var command = new Command("eval", "Measure a model on held-out synthetic clips: structure, content from text and image, temporal and prompt consistency, speed.")
        {
            model, clips, guidanceClips, frames, seed, trainSeed, steps, ts, data, output, markdown, sheet, overwrite, precision.Dtype, precision.Bf16, device,
        };
        command.SetAction(parse => CommandErrors.Run(() => Run(new Request(parse.GetValue(model), parse.GetValue(clips), parse.GetValue(guidanceClips), parse.GetValue(frames),
            parse.GetValue(seed), parse.GetValue(trainSeed), parse.GetValue(steps), ParseLevels(parse.GetValue(ts)), parse.GetValue(data),
            parse.GetValue(output), parse.GetValue(markdown), parse.GetValue(sheet), parse.GetValue(overwrite), CommandOptions.ReadPrecision(parse, precision),
            parse.GetValue(device)!))));
        return command;
    }

    sealed record Request(string? Model, int Clips, int GuidanceClips, int Frames, int Seed, int TrainSeed, int? Steps, int[]? Levels, string? Data,
        string? Output, string? Markdown, string? Sheet, bool Overwrite, Precision Precision, string Device);

    static int Run(Request r)
    {
        var device = DeviceChoice.Parse(r.Device);
        if (r.Clips < 1) throw new ArgumentException($"--clips must be at least 1, got {r.Clips}.");
        if (r.GuidanceClips < 1) throw new ArgumentException($"--guidance-clips must be at least 1, got {r.GuidanceClips}.");
        if (r.Frames < 2) throw new ArgumentException($"--frames must be at least 2, got {r.Frames}.");
        using var cooperate = Shutdown.Cooperate(); // stops within a denoising step; nothing is written before the end
        var modelPath = CommandOptions.ResolveModel(r.Model);
        var outputPath = r.Output is null ? null : OutputPaths.Check(r.Output, r.Overwrite, folder: false, (modelPath, "the model folder"));
        var markdownPath = r.Markdown is null ? null : OutputPaths.Check(r.Markdown, r.Overwrite, folder: false, (modelPath, "the model folder"));
        var sheetPath = r.Sheet is null ? null : OutputPaths.Check(r.Sheet, r.Overwrite, folder: false, (modelPath, "the model folder"));
        int threads = Threads.Configure();
        var dtype = PrecisionChoice.Choose(r.Precision, device);
        using var model = ModelFolder.Load(modelPath, dtype.Dtype, device);
        var config = model.Config;
        // A model of another world (or a public checkpoint) would be measured on words it never read: refused by name.
        ColourPrompts.CheckTokenizer(model.Tokenizer, config.Clip.Text.VocabSize, Path.Combine(modelPath, ModelFolder.TokenizerFolder));
        if (config.Width != config.Height)
            throw new ArgumentException($"Model {config.Name} edits {config.Width}×{config.Height} frames; the synthetic world renders square frames only.");
        int rendered = Math.Max(r.Frames, HeldOutSet.MinRenderedFrames);
        var dataPath = Path.GetFullPath(r.Data ?? Path.Combine("data", $"eval-w{DatasetInfo.CurrentVersion}-seed{r.Seed}-{config.Width}px-{rendered}f"));
        var options = new EvalOptions(r.Frames, r.Steps, r.Levels, r.Clips, r.GuidanceClips);
        options.LevelsFor(config); // refused before any rendering

        HeldOutSet? set = null;
        EvalReport? report = null;
        var sheetRows = new List<TorchSharp.torch.Tensor>();
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var render = context.AddTask("held-out scenes", maxValue: 1);
                try
                {
                    set = HeldOutSet.Prepare(dataPath, options.TotalClips, r.Frames, config.Width, r.Seed, r.TrainSeed, s =>
                    {
                        render.MaxValue = s.Total;
                        render.Value = s.Written + s.Skipped;
                    });
                }
                catch (InvalidOperationException e)
                {
                    // --data holds another world version or other settings (SyntheticWriter names the file): bad input, one line.
                    throw new InvalidDataException(e.Message, e);
                }
                render.Value = render.MaxValue;
                var edits = context.AddTask("edits", maxValue: 1);
                report = EvalRunner.Run(model, set, options, new Reporter(p =>
                {
                    edits.MaxValue = p.Total;
                    edits.Value = p.Done;
                    edits.Description = CommandErrors.Escape(p.Task);
                }), sheetPath is null ? null : row => sheetRows.Add(row.clone().DetachFromDisposeScope()), Shutdown.Token);
                edits.Description = "edits";
                edits.Value = edits.MaxValue;
            });

        var table = new Table().AddColumns("figure", "value", "bar", "result");
        foreach (var f in report!.Figures)
            table.AddRow(CommandErrors.Escape(f.Name), EvalReport.Format(f.Value), CommandErrors.Escape(f.Bar),
                f.Pass switch { true => "[green]PASS[/]", false => "[red]MISS[/]", null => "" });
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(CommandErrors.Escape($"{report.Clips.Count} held-out clips of {report.Frames} frames ({report.GuidancePairs.Count} for guidance; {dataPath}), {report.Steps} steps, " +
            $"model {config.Name} ({modelPath}), {DeviceChoice.Name(device)}, {threads} threads, {EditRun.LongName(dtype.Dtype)} ({dtype.Reason}), {report.Seconds:F1} s"));

        if (outputPath is not null)
        {
            var json = new Dictionary<string, object?>
            {
                ["model"] = modelPath,
                ["model_name"] = config.Name,
                ["model_identity"] = ModelFolder.Identity(modelPath),
                ["data"] = dataPath,
                ["seed"] = r.Seed,
                ["train_seed"] = r.TrainSeed,
                ["threads"] = threads,
                ["device"] = DeviceChoice.Name(device),
                ["dtype"] = EditRun.LongName(dtype.Dtype),
                ["dtype_reason"] = dtype.Reason,
                ["command"] = Reproduce(r, device, dtype.Dtype, modelPath, dataPath),
                ["report"] = report,
            };
            var text = JsonSerializer.Serialize(json, Json);
            AtomicFile.Write(outputPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(text + "\n")), r.Overwrite);
            AnsiConsole.MarkupLine($"wrote [bold]{CommandErrors.Escape(outputPath)}[/]");
        }
        if (markdownPath is not null)
        {
            AtomicFile.Write(markdownPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(report.ToMarkdown())), r.Overwrite);
            AnsiConsole.MarkupLine($"wrote [bold]{CommandErrors.Escape(markdownPath)}[/]");
        }
        if (sheetPath is not null)
        {
            using var picture = TorchSharp.torch.cat(sheetRows, 1);
            ImageFile.WriteRgb(sheetPath, picture, r.Overwrite);
            foreach (var row in sheetRows) row.Dispose();
            AnsiConsole.MarkupLine($"wrote [bold]{CommandErrors.Escape(sheetPath)}[/]");
        }
        return 0;
    }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // A clip with no static background has no flicker: NaN, written as "NaN".
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>"0,2,4,7" to levels.</summary>
    static int[]? ParseLevels(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var levels = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out levels[i]))
                throw new ArgumentException($"--ts expects levels like 0,2,4,7, got '{text}'.");
        return levels;
    }

    static string Reproduce(Request r, TorchSharp.torch.Device device, TorchSharp.torch.ScalarType dtype, string modelPath, string dataPath)
    {
        var args = new List<string> { "vidiff", "eval", "--model", modelPath, "--clips", $"{r.Clips}", "--guidance-clips", $"{r.GuidanceClips}", "--frames", $"{r.Frames}",
            "--seed", $"{r.Seed}", "--train-seed", $"{r.TrainSeed}", "--data", dataPath };
        if (r.Steps is int steps) args.AddRange(["--steps", $"{steps}"]);
        if (r.Levels is not null) args.AddRange(["--ts", string.Join(',', r.Levels)]);
        args.AddRange(["--device", DeviceChoice.Name(device), "--dtype", PrecisionChoice.Name(dtype)]);
        return string.Join(' ', args);
    }

    sealed class Reporter(Action<EvalProgress> report) : IProgress<EvalProgress>
    {
        public void Report(EvalProgress value) => report(value);
    }
}
