using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Spectre.Console;
using Vidiff.Checkpoints;
using Vidiff.Customisation;
using Vidiff.Diffusion;
using Vidiff.Media;
using Vidiff.Pipelines;
using Vidiff.Runtime;
using TorchSharp;
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
        var form = new Option<GuidanceForm?>("--guidance-form")
        {
            Description = "How ω and ω_t combine (paper §5): paper, m_π(∅) + ω_t (m(∅) − m_π(∅)) + ω (m(c) − m(∅)), 3 passes a step; both, both terms temporally guided, 4 passes. Default: the model's.",
        };
        var crossFrame = new Option<CrossFrameAttention?>("--cross-frame")
        {
            Description = "off, or anchor: every frame's spatial self-attention also reads its window's first frame (and the previous window's last), " +
                "consistency without trained temporal layers (Text2Video-Zero). Default: anchor if the model's temporal layers are untrained (vidiff.json temporal_layers_trained), else off.",
        };
        var sharedNoise = CommandOptions.Number<double>("--shared-noise", "Share λ of the starting noise common to all frames, in [0, 1]: 0 independent (default), 1 one noise image for every frame.");
        var steps = CommandOptions.Number<int>("--steps", "Sampling steps. Default: the model's (paper §1: 50 full size, 20 mini).");
        var sampler = new Option<ModelConfig.SamplerKind?>("--sampler") { Description = "ddim or dpmpp (DPM-Solver++(2M)). Default: the model's." };
        var seed = CommandOptions.Number<long>("--seed", "Seed of the noise (and of the prior); default 0.");
        var negative = new Option<string?>("--negative") { Description = "Text to steer away from (replaces the null content of classifier-free guidance)." };
        var negativeImage = new Option<string?>("--negative-image") { Description = "Image to steer away from." };
        var adapter = new Option<string[]>("--adapter")
        {
            Description = "LoRA adapter FILE[:SCALE] added to the UNet (vidiff customize, or a public SD LoRA in the diffusers/PEFT or kohya layout); repeat to combine; scale in [-2, 2], default 1.",
            AllowMultipleArgumentsPerToken = false,
        };
        var preview = new Option<bool>("--preview") { Description = "Also write OUT.preview.mp4 (input | depth | structure at t_s | output) and OUT.preview.png (the same for four frames across the clip, one row each)." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output." };
        var precision = CommandOptions.PrecisionOptions();
        var device = CommandOptions.Device();
        var frames = new FrameOptions();

        var command = new Command("edit", "Edit a video: keep its structure (depth), take new content from a prompt or an image.")
        {
            input, prompt, image, output, model, ts, guidance, temporal, form, crossFrame, sharedNoise, steps, sampler, seed, negative, negativeImage,
        };
        frames.AddTo(command);
        command.Add(adapter);
        command.Add(preview);
        command.Add(overwrite);
        command.Add(precision.Dtype);
        command.Add(precision.Bf16);
        command.Add(device);
        command.SetAction(parse => CommandErrors.Run(() => Run(new EditRequest(
            parse.GetValue(input)!, parse.GetValue(prompt), parse.GetValue(image), parse.GetValue(output), parse.GetValue(model),
            new EditOptions(
                StructureLevel: parse.GetValue(ts), Guidance: parse.GetValue(guidance), TemporalGuidance: parse.GetValue(temporal),
                GuidanceForm: parse.GetValue(form), Steps: parse.GetValue(steps), Sampler: parse.GetValue(sampler), Seed: parse.GetValue(seed) ?? 0,
                CrossFrame: parse.GetValue(crossFrame), SharedNoise: parse.GetValue(sharedNoise) ?? 0),
            parse.GetValue(negative), parse.GetValue(negativeImage), frames.Read(parse), parse.GetValue(preview), parse.GetValue(overwrite), CommandOptions.ReadPrecision(parse, precision),
            parse.GetValue(device)!, [.. (parse.GetValue(adapter) ?? []).Select(AdapterChoice.Parse)]))));
        return command;
    }

    static int Run(EditRequest r)
    {
        using var cooperate = Shutdown.Cooperate(); // the pipeline stops within a step; the writers remove their temp files
        using var run = EditRun.Prepare(r);
        AnsiConsole.Write(Summary(run));
        var phases = RunWithProgress(run.Video.FrameCount, run.Options.Steps!.Value, progress => run.Execute(progress, Shutdown.Token));
        AnsiConsole.MarkupLine($"wrote [bold]{CommandErrors.Escape(run.OutputPath)}[/] ({run.Video.FrameCount} frames) in {run.Clock.Elapsed.TotalSeconds:F1} s");
        AnsiConsole.MarkupLine($"[grey]{PhaseTimes(phases, run.PipelineTime)}[/]");
        if (r.Preview) AnsiConsole.MarkupLine($"preview [bold]{CommandErrors.Escape(run.PreviewVideo)}[/] and {CommandErrors.Escape(run.PreviewImage)}");
        return 0;
    }

    static Table Summary(EditRun run)
    {
        var (r, video, options, config) = (run.Request, run.Video, run.Options, run.Model.Config);
        var summary = new Table().HideHeaders().AddColumns("", "");
        summary.AddRow("input", CommandErrors.Escape($"{run.Input} ({video.Probe.Width}×{video.Probe.Height}, {video.Probe.FrameRate:0.###} fps)"));
        summary.AddRow("frames", $"{video.FrameCount} at {video.Width}×{video.Height} ({r.Frames.Fit.ToString().ToLowerInvariant()})");
        summary.AddRow("content", CommandErrors.Escape(r.Prompt is not null ? $"\"{r.Prompt}\"" : $"image {r.Image}"));
        if (r.Negative is not null || r.NegativeImage is not null)
            summary.AddRow("negative", CommandErrors.Escape(r.Negative is not null ? $"\"{r.Negative}\"" : $"image {r.NegativeImage}"));
        summary.AddRow("model", CommandErrors.Escape($"{config.Name} ({run.ModelPath})"));
        foreach (var a in run.Adapters)
            summary.AddRow("adapter", CommandErrors.Escape($"{a.Path} × {a.Scale}, {a.Updates} weights" + (a.TextEncoderTensors > 0 ? $" ({a.TextEncoderTensors} text-encoder tensors not applied: Vidiff adapts the UNet)" : "")));
        summary.AddRow("t_s, ω, ω_t", $"{options.StructureLevel}, {options.Guidance}, {options.TemporalGuidance} ({options.GuidanceForm.ToString()!.ToLowerInvariant()} guidance)");
        summary.AddRow("frames together", $"cross-frame {options.CrossFrame.ToString()!.ToLowerInvariant()}, shared noise {options.SharedNoise}" +
            (config.TemporalLayersTrained ? "" : " (temporal layers untrained)"));
        summary.AddRow("sampler", $"{options.Sampler.ToString()!.ToLowerInvariant()}, {options.Steps} steps, seed {options.Seed}");
        summary.AddRow("windows", $"{FrameWindows.Plan(video.FrameCount, config.WindowFrames, config.WindowOverlap).Windows.Count} of {config.WindowFrames} frames, overlap {config.WindowOverlap}");
        summary.AddRow("device, threads, dtype", $"{run.Device}, {run.Threads}, {EditRun.LongName(run.Dtype.Dtype)} ({CommandErrors.Escape(run.Dtype.Reason)})" +
            (run.Dtype.Dtype == ScalarType.BFloat16 && run.Device.type == DeviceType.CPU && NativeRuntime.OneDnnDisabledReason is not null
                ? " (slow here: oneDNN is off on this CPU, see vidiff info)" : ""));
        return summary;
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
                run(new SyncProgress<EditProgress>(p =>
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
}
