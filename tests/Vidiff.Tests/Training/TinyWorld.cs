using Vidiff.Checkpoints;
using Vidiff.Pipelines.Training;
using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Tests.Training;

/// <summary>A tiny rendered data set (16×16 frames) and a model folder holding ModelConfig.Tiny, for stage tests.</summary>
static class TinyWorld
{
    public const int VocabSize = 600;

    static readonly Lazy<(Tensor Frames, Tensor Depth, IReadOnlyList<string>[] Captions, long[] Lengths)> Rendered = new(() =>
    {
        var settings = new SynthSettings(Clips: 6, Seed: 11, Size: 16, MinFrames: 8, MaxFrames: 9, AntiAliasing: 1);
        var clips = Enumerable.Range(0, settings.Clips).Select(i => SyntheticWriter.Render(settings, still: false, i)).ToArray();
        var frames = cat(clips.SelectMany(c => c.Frames).Select(f => tensor(f.Rgb).view(3, 16, 16) * 2 - 1).ToList(), 0).view(-1, 3, 16, 16);
        var depth = cat(clips.SelectMany(c => c.Frames).Select(f => tensor(f.Depth).view(1, 16, 16)).ToList(), 0).view(-1, 1, 16, 16);
        return (frames, depth, clips.Select(c => c.Info.Captions).ToArray(), clips.Select(c => (long)c.Frames.Count).ToArray());
    });

    /// <summary>Six clips of 8–9 frames; the last one is held out.</summary>
    public static TrainingData Data()
    {
        var (frames, depth, captions, lengths) = Rendered.Value;
        long start = 0;
        return TrainingData.FromClips(lengths.Select((n, i) =>
        {
            var clip = (frames.narrow(0, start, n), depth.narrow(0, start, n), captions[i]);
            start += n;
            return clip;
        }).ToList());
    }

    public static StageContext Context(TrainingData data, string modelDir, int steps, int batch = 4, double lr = 2e-3)
    {
        Directory.CreateDirectory(modelDir);
        var ctx = new StageContext(data, modelDir, new Vidiff.Pipelines.TrainingOptions(steps, BatchSize: batch, LearningRate: lr, WarmupSteps: 1, CheckpointEvery: 1000, LogEvery: 1, Seed: 3));
        if (!File.Exists(ctx.ConfigPath)) ctx.WriteConfig(ModelConfig.Tiny(VocabSize, VocabSize - 1));
        return ctx;
    }

    /// <summary>Mean of the first and last k logged losses.</summary>
    public static (double First, double Last) LossEnds(string runDir, int k)
    {
        var losses = File.ReadLines(Path.Combine(runDir, "loss.csv")).Skip(1).Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (losses.Take(k).Average(), losses.TakeLast(k).Average());
    }
}
