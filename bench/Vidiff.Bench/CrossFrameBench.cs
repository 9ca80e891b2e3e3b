using System.Diagnostics;
using System.Globalization;
using Vidiff.Checkpoints;
using Vidiff.Diffusion;
using Vidiff.Evaluation;
using Vidiff.Pipelines;
using Vidiff.Runtime;
using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Bench;

/// <summary>
/// Issue 18 §2: what cross-frame attention and shared noise do for a model run per frame (ω_t = 0 in our guidance form,
/// the per-frame model alone, as a model with untrained temporal layers runs), beside the video model, on eval's
/// held-out clips. Every case edits every clip from the clip's scene seed; within a clip the cases run back to back,
/// their order rotated from clip to clip, so paired times see the same machine state. Last, the cost alone: one UNet
/// pass per frame over a window's frames, conditional and unconditional batched as an edit runs it, without and with
/// anchors, interleaved pass by pass.
/// </summary>
public static class CrossFrameBench
{
    const string Usage = "usage: Vidiff.Bench crossframe [--model DIR] [--clips N] [--frames F] [--steps N] [--shared λ] [--seed S] [--train-seed S] [--data DIR] [--passes N]";

    public static int Run(string[] args)
    {
        string model = Path.Combine("models", "mini");
        string? data = null;
        int clips = 4, frames = 16, seed = 2, trainSeed = 1, passes = 10;
        int? steps = null;
        double shared = 0.5;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value; {Usage}");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--model": model = Value(); break;
                case "--clips": clips = Int(); break;
                case "--frames": frames = Int(); break;
                case "--steps": steps = Int(); break;
                case "--shared": shared = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": seed = Int(); break;
                case "--train-seed": trainSeed = Int(); break;
                case "--data": data = Value(); break;
                case "--passes": passes = Int(); break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}; {Usage}"); return 2;
            }
        }

        int threads = Threads.Configure();
        using var folder = ModelFolder.Load(model, ScalarType.Float32);
        Console.WriteLine($"model {folder.Config.Name} ({model}), fp32, {threads} threads");
        if (clips > 0) EditClips(folder, data, clips, frames, steps, shared, seed, trainSeed);
        if (passes > 0) TimePasses(folder, passes);
        return 0;
    }

    /// <summary>Every case on every clip, and the table of their means.</summary>
    static void EditClips(ModelFolder folder, string? data, int clips, int frames, int? steps, double shared, int seed, int trainSeed)
    {
        var config = folder.Config;
        int rendered = Math.Max(frames, HeldOutSet.MinRenderedFrames);
        // eval's cache of the same held-out scenes, so both read the same clips.
        data ??= Path.Combine("data", $"eval-w{DatasetInfo.CurrentVersion}-seed{seed}-{config.Width}px-{rendered}f");
        var set = HeldOutSet.Prepare(data, clips, frames, config.Width, seed, trainSeed);
        var perFrame = new EditOptions(Steps: steps, TemporalGuidance: 0, GuidanceForm: GuidanceForm.Both);
        var video = new EditOptions(Steps: steps);
        (string Name, EditOptions Options)[] cases =
        [
            ("per frame", perFrame with { CrossFrame = CrossFrameAttention.Off }),
            ("per frame, anchor", perFrame with { CrossFrame = CrossFrameAttention.Anchor }),
            ($"per frame, shared noise {shared}", perFrame with { CrossFrame = CrossFrameAttention.Off, SharedNoise = shared }),
            ($"per frame, anchor, shared noise {shared}", perFrame with { CrossFrame = CrossFrameAttention.Anchor, SharedNoise = shared }),
            ($"video (ω_t = {config.Defaults.TemporalGuidance})", video with { CrossFrame = CrossFrameAttention.Off }),
            ($"video (ω_t = {config.Defaults.TemporalGuidance}), anchor", video with { CrossFrame = CrossFrameAttention.Anchor }),
        ];
        Console.WriteLine($"{clips} held-out clips of seed {seed} ({data}), {frames} frames, {steps ?? config.Defaults.Steps} steps; " +
            $"windows of {config.WindowFrames} (overlap {config.WindowOverlap})");

        var pipeline = new EditPipeline(folder);
        var results = cases.Select(_ => new List<(double Change, double Consistency, double Flicker, double Prompt, double Seconds)>()).ToArray();
        var inputChange = new List<double>();
        for (int i = 0; i < clips; i++)
        {
            using var scope = NewDisposeScope();
            var clip = set.Clips[i];
            var input = clip.LoadFrames().narrow(0, 0, frames);
            var masks = clip.LoadMasks().narrow(0, 0, frames);
            var scene = clip.Scene;
            string colour = ColourPrompts.Target(i, 0, scene.Objects.Select(o => o.Color).Append(scene.Floor.Color));
            string prompt = ColourPrompts.Objects(scene, colour, clip.Info.Seed);
            inputChange.Add(Change(input));
            for (int k = 0; k < cases.Length; k++)
            {
                int c = (k + i) % cases.Length;
                var outputs = new List<Tensor>();
                var watch = Stopwatch.StartNew();
                pipeline.Run(() => [input.clone()], cases[c].Options with { Prompt = prompt, Seed = clip.Info.Seed }, f => outputs.Add(f.clone().DetachFromDisposeScope()));
                double seconds = watch.Elapsed.TotalSeconds;
                var output = cat(outputs, 0);
                foreach (var o in outputs) o.Dispose();
                results[c].Add((Change(output), FrameConsistency.Measure(folder.Clip!, output), Flicker.Measure(input, output, masks),
                    PromptConsistency.Measure(folder.Clip!, folder.Tokenizer, prompt, output), seconds));
                var r = results[c][^1];
                Console.WriteLine($"clip {i + 1} \"{prompt}\" {cases[c].Name}: change {r.Change:F4}, consistency {r.Consistency:F4}, flicker {r.Flicker:F4}, prompt {r.Prompt:F4}, {r.Seconds:F1} s");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"input: frame-to-frame change {inputChange.Average():F4}");
        Console.WriteLine("| case | frame-to-frame change | frame consistency | flicker | prompt consistency | s / edit | × per frame (paired) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (int c = 0; c < cases.Length; c++)
        {
            var r = results[c];
            if (r.Count == 0) continue;
            // Each edit's time against the plain per-frame edit of the same clip, then the median of those ratios.
            var ratios = r.Select((x, i) => x.Seconds / results[0][i].Seconds).Order().ToList();
            Console.WriteLine($"| {cases[c].Name} | {r.Average(x => x.Change):F4} | {r.Average(x => x.Consistency):F4} | {r.Average(x => x.Flicker):F4} | " +
                $"{r.Average(x => x.Prompt):F3} | {r.Average(x => x.Seconds):F1} | {ratios[ratios.Count / 2]:F2} |");
        }
    }

    /// <summary>Median time of a per-frame UNet pass on a window's frames, c and ∅ batched, without and with anchors.</summary>
    static void TimePasses(ModelFolder folder, int passes)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var config = folder.Config;
        var (h, w) = config.LatentSize;
        int f = config.WindowFrames;
        manual_seed(0);
        var latents = randn([2, config.Unet.LatentChannels, f, h, w]);
        var structure = rand([2, 1, f, h, w]) * 2 - 1;
        var content = randn([2, 1, config.Unet.ContentDim]);
        var t = tensor(new[] { 500L, 500L });
        double Pass(int[]? anchors)
        {
            using var pass = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            folder.Unet.forward(latents, structure, t, content, perFrame: true, anchors);
            return watch.Elapsed.TotalSeconds;
        }
        Pass(null);
        Pass([0]);
        var times = new[] { new List<double>(), new List<double>() };
        var ratios = new List<double>();
        for (int round = 0; round < passes; round++)
        {
            // Alternate which goes first, so neither always follows the other.
            double off, anchor;
            if (round % 2 == 0) (off, anchor) = (Pass(null), Pass([0]));
            else (anchor, off) = (Pass([0]), Pass(null));
            times[0].Add(off);
            times[1].Add(anchor);
            ratios.Add(anchor / off);
        }
        static double Median(List<double> x) => x.Order().ElementAt(x.Count / 2);
        Console.WriteLine();
        Console.WriteLine($"UNet per frame, 2 × {f} frames at {h}×{w} latents, {passes} interleaved passes: off median {Median(times[0]):F3} s, " +
            $"anchor median {Median(times[1]):F3} s, paired ratio median {Median(ratios):F2} (range {ratios.Min():F2}–{ratios.Max():F2})");
    }

    /// <summary>Mean |frame f+1 − frame f| over consecutive frames and pixels of [F, 3, H, W] in [−1, 1], in 0..1 units.</summary>
    static double Change(Tensor frames)
    {
        using var scope = NewDisposeScope();
        return ((frames[1..] - frames[..^1]).abs().mean() / 2).item<float>();
    }
}
