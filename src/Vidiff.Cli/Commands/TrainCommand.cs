using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vidiff.Checkpoints;
using Vidiff.Pipelines;
using Vidiff.Pipelines.Training;
using Vidiff.Runtime;
using Vidiff.Structure;

namespace Vidiff.Cli.Commands;

/// <summary><c>vidiff train --stage NAME</c>: one stage of the bundled model's recipe, or the UNet on the user's videos from
/// a model folder (<c>--init MODELDIR --out MODELDIR2</c>) (docs/training.md); rerunning continues it.</summary>
static class TrainCommand
{
    const int StoppedEarly = 3;

    static readonly string[] Stages = [AutoencoderStage.Name, DepthStage.Name, ClipStage.Name, PriorStage.Name, UnetStage.Name];

    /// <summary>Per-stage defaults of the mini recipe: (steps, batch, learning rate).</summary>
    static (int Steps, int Batch, double Lr) Defaults(string stage) => stage switch
    {
        "autoencoder" => (3000, 16, 4e-4),
        "depth" => (3000, 16, 3e-4),
        "clip" => (4000, 64, 5e-4),
        "prior" => (1000, 64, 3e-4),
        _ => (23000, 16, 2e-4),
    };

    public static Command Create()
    {
        var stage = new Option<string>("--stage") { Description = "Stage to train: " + string.Join(", ", Stages) + " (in this order).", Required = true };
        stage.AcceptOnlyFromAmong(Stages);
        var data = new Option<string>("--data") { Description = "Synthetic data set folder (vidiff synth --out); with --init MODELDIR, a folder of videos.", Required = true };
        var model = new Option<string?>("--model") { Description = "Model folder to train into; vidiff.json is created with the mini config if absent." };
        var steps = new Option<int?>("--steps") { Description = "Total optimiser steps of the stage (default per stage, see docs/training.md)." };
        var minutes = new Option<double?>("--minutes") { Description = "Stop after this many minutes (checkpoint and export); rerun to continue." };
        var batch = new Option<int?>("--batch") { Description = "Batch size (for unet: frames per step)." };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (AdamW, linear warm-up)." };
        var bf16 = new Option<bool>("--bf16") { Description = "Run forward and backward in bfloat16 with an fp32 master copy." };
        var seed = new Option<long>("--seed") { Description = "Seed of initialisation and of every batch.", DefaultValueFactory = _ => 0 };
        var imageShare = new Option<double>("--image-share") { Description = "unet: share of steps that are image batches (joint image-video training).", DefaultValueFactory = _ => new UnetSettings().ImageShare };
        var maxTs = new Option<int?>("--max-ts") { Description = $"unet: draw t_s from 0..N only (default: all of 0..{StructureEncoder.MaxLevel}); 0 for the paper's first phase of full structure." };
        var highNoise = new Option<double>("--high-noise-share") { Description = "unet: share of samples with t in the noisiest tenth of the schedule, where structure is the layout's only source (default 0: uniform t)." };
        var mirrored = new Option<double>("--mirrored-content-share") { Description = "unet: share of samples whose content is the CLIP embedding of the mirrored frame, so layout must come from structure (default 0)." };
        var device = CommandOptions.Device();
        var init = new Option<string?>("--init")
        {
            Description = "unet: start from this UNet weights file (e.g. an earlier model's unet.safetensors) instead of random weights; structure convolutions it lacks start at zero. "
            + "A model folder instead: train its UNet on the videos in --data and write the result to --out.",
        };
        var output = new Option<string?>("--out") { Description = "unet with --init MODELDIR: the new model folder (rerun the command to continue it)." };
        var freeze = new Option<string?>("--freeze") { Description = "unet: train only the temporal layers (spatial: every other weight stays as it was)." };
        freeze.AcceptOnlyFromAmong("spatial");
        var frames = new Option<int?>("--frames") { Description = "unet on videos: frames per clip (default: the model's window)." };
        var stride = new Option<int>("--stride") { Description = "unet on videos: take every N-th frame of each video.", DefaultValueFactory = _ => 1 };
        var command = new Command("train", "Train one stage of a model on a synthetic data set (autoencoder, depth, clip, prior, unet), or a model's UNet on your videos.")
        {
            stage, data, model, steps, minutes, batch, lr, bf16, seed, imageShare, maxTs, highNoise, mirrored, init, output, freeze, frames, stride, device,
        };
        command.SetAction(parse =>
        {
            var name = parse.GetValue(stage)!;
            var (defaultSteps, defaultBatch, defaultLr) = Defaults(name);
            var options = new TrainingOptions(parse.GetValue(steps) ?? defaultSteps, BatchSize: parse.GetValue(batch) ?? defaultBatch,
                LearningRate: parse.GetValue(lr) ?? defaultLr, Bf16: parse.GetValue(bf16), Minutes: parse.GetValue(minutes), Seed: parse.GetValue(seed));
            var unet = new UnetSettings(ImageShare: parse.GetValue(imageShare), MaxStructureLevel: parse.GetValue(maxTs), HighNoiseShare: parse.GetValue(highNoise),
                MirroredContentShare: parse.GetValue(mirrored), Init: parse.GetValue(init) is { } i ? Path.GetFullPath(i) : null, FreezeSpatial: parse.GetValue(freeze) is not null);
            return Run(name, parse.GetValue(data)!, parse.GetValue(model), parse.GetValue(output), parse.GetValue(device)!, options, unet, parse.GetValue(frames), parse.GetValue(stride));
        });
        return command;
    }

    static int Run(string stage, string dataDir, string? modelDir, string? outDir, string deviceArg, TrainingOptions options, UnetSettings unet, int? frames, int stride)
    {
        // The first Ctrl+C (SIGINT) or `kill` (SIGTERM) ends the stage cleanly (checkpoint and export), a second one kills
        // the process; SIGTERM matters for background runs, where SIGINT is ignored.
        using var cooperate = Shutdown.Cooperate();
        try
        {
            options = options with { Device = DeviceChoice.Parse(deviceArg) };
            Threads.Configure();
            if (options.Steps < 1 || options.BatchSize < 1) throw new ArgumentException($"--steps and --batch must be positive, got {options.Steps} and {options.BatchSize}");
            foreach (var (name, share) in new[] { ("--high-noise-share", unet.HighNoiseShare), ("--mirrored-content-share", unet.MirroredContentShare) })
                if (share is < 0 or > 1 || double.IsNaN(share)) throw new ArgumentException($"{name} {share} is not a share; expected 0..1");
            if (unet.MaxStructureLevel is < 0 or > StructureEncoder.MaxLevel)
                throw new ArgumentException($"--max-ts {unet.MaxStructureLevel} is not a structure level; expected 0..{StructureEncoder.MaxLevel}");
            // A model folder as --init: the user's videos, into a new folder.
            bool videos = unet.Init is { } initPath && Directory.Exists(initPath);
            if (videos && (stage != UnetStage.Name || outDir is null || modelDir is not null))
                throw new ArgumentException($"--init {unet.Init} is a model folder: train its UNet on videos with --stage unet --out NEWFOLDER (and no --model).");
            if (!videos && outDir is not null)
                throw new ArgumentException(unet.Init is null ? "--out goes with --init MODELDIR (a model folder whose UNet to train on a folder of videos)."
                    : $"--init {unet.Init} is not a model folder; --out goes with --init MODELDIR (a model folder whose UNet to train on a folder of videos).");
            if (!videos && modelDir is null)
                throw new ArgumentException("--model FOLDER: the model folder to train (or --init MODELDIR --out NEWFOLDER: a model folder's UNet on a folder of videos).");
            if (stage != UnetStage.Name && unet.FreezeSpatial) throw new ArgumentException("--freeze spatial trains the UNet's temporal layers; it goes with --stage unet.");
            if (!videos && (frames is not null || stride != 1)) throw new ArgumentException("--frames and --stride sample a folder of videos (--init MODELDIR).");
            if (videos) return Report(stage, outDir!, Progress(stage, options.Steps, progress => VideoTraining.Run(dataDir, unet.Init!, outDir!, frames, stride, options,
                unet with { Init = null }, Console.Error.WriteLine, progress, Shutdown.Token)));
            Directory.CreateDirectory(modelDir!);
            var configPath = Path.Combine(modelDir!, ModelFolder.ConfigFile);
            AnsiConsole.MarkupLine($"loading [bold]{Markup.Escape(dataDir)}[/]…");
            using var data = TrainingData.Open(dataDir);
            data.Device = options.Device!;
            return Report(stage, modelDir!, Progress(stage, options.Steps, progress =>
            {
                var ctx = new StageContext(data, modelDir!, options, progress, Shutdown.Token);
                if (!File.Exists(configPath)) ctx.WriteConfig(ModelConfig.Mini(1024, 1023)); // the clip stage sets the tokenizer's real values
                return stage switch
                {
                    "autoencoder" => AutoencoderStage.Run(ctx),
                    "depth" => DepthStage.Run(ctx),
                    "clip" => ClipStage.Run(ctx),
                    "prior" => PriorStage.Run(ctx),
                    _ => UnetStage.Run(ctx, unet),
                };
            }));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or IOException or Media.MediaException
            or Checkpoints.CheckpointMismatchException or Checkpoints.CheckpointFormatException)
        {
            // stderr, not the console's wrapped markup: one line however narrow the terminal or wherever it is piped.
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Runs a stage under a progress bar (steps, and the preparation phases that report a NaN loss with their own units).</summary>
    static StageResult Progress(string stage, int steps, Func<IProgress<TrainingProgress>, StageResult> run)
    {
        StageResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(progress =>
            {
                var task = progress.AddTask(stage, maxValue: steps);
                result = run(new Reporter(p =>
                {
                    task.MaxValue = p.Steps;
                    task.Value = p.Step;
                    task.Description = double.IsNaN(p.Loss)
                        ? $"{p.Stage} {p.Step}/{p.Steps}"
                        : string.Create(CultureInfo.InvariantCulture, $"{p.Stage} step {p.Step}/{p.Steps} loss {p.Loss:G4}");
                }));
            });
        return result!;
    }

    static int Report(string stage, string modelDir, StageResult result)
    {
        AnsiConsole.WriteLine(result.ToString());
        AnsiConsole.MarkupLine($"checkpoints and loss.png: {Markup.Escape(Path.Combine(modelDir, StageContext.RunsFolder, stage))}");
        // A stage cut short by --minutes or Ctrl+C exits with 3, so a recipe script stops there instead of training
        // the next stage on a half-trained component; rerunning continues.
        return result.Finished ? 0 : StoppedEarly;
    }

    sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
