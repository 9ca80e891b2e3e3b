using System.Diagnostics;
using System.Globalization;
using Vidiff.Checkpoints;
using Vidiff.Depth;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// The depth estimator behind the structure s (paper §3): a small DPT trained with MiDaS's scale-and-shift-invariant
/// absolute loss (untrimmed, and without its gradient-matching term: see Run), in disparity (1/depth) against the
/// renderer's exact depth. So the edit pipeline estimates depth from pixels, as it must for a real video.
/// </summary>
public static class DepthStage
{
    public const string Name = "depth";

    public static StageResult Run(StageContext ctx)
    {
        var clock = Stopwatch.StartNew();
        var config = ctx.ReadConfig();
        AutoencoderStage.CheckSize(ctx.Data, config);
        // Untrimmed and without gradient matching, unlike MiDaS. Trimming drops the 20 % largest residuals, which in
        // exact rendered depth are the objects: that estimator saw none (held-out AbsRel 0.051, objects 0.45). Untrimmed
        // with gradient matching, the L1 penalty on gradients held the estimator at a constant map (AbsRel 0.496).
        // Plain untrimmed absolute error: held-out AbsRel 0.020, objects visible.
        var loss = new ScaleShiftInvariantLoss(SsiLossKind.TrimmedAbsolute, gradientWeight: 0, trimFraction: 0);
        using var run = ctx.Run(Name, () => new DptDepthEstimator(config.Depth));
        double last = StageContext.Loop(run, () => Loss(run, ctx.Data, loss, ctx.Options.BatchSize));
        double absRel = HeldOutAbsRel(run.Ema, ctx.Data);
        ctx.Export(run.Ema, ModelFolder.DepthFile);
        return ctx.Finish(run, Name, last, clock, string.Create(CultureInfo.InvariantCulture, $"held-out scale-shift-invariant AbsRel {absRel:F3}"));
    }

    public static Tensor Loss(TrainingRun<DptDepthEstimator> run, TrainingData data, ScaleShiftInvariantLoss loss, int batch)
    {
        var (_, rng) = run.RandomForStep();
        var frames = data.RandomFrameOf(rng, data.RandomClips(rng, batch));
        var prediction = run.Model.forward(data.Pixels(frames)).to(ScalarType.Float32);
        return loss.Compute(prediction, 1 / data.DepthOf(frames));
    }

    /// <summary>AbsRel after scale-and-shift alignment in disparity over every frame of the held-out clips (issue 5's structure figure).</summary>
    public static double HeldOutAbsRel(DptDepthEstimator model, TrainingData data)
    {
        using var scope = NewDisposeScope();
        if (data.HeldOutClips.Length == 0) return double.NaN;
        long[] frames = [.. data.HeldOutClips.SelectMany(c => Enumerable.Range(0, data.FrameCount(c)).Select(i => data.ClipStart[c] + i))];
        var prediction = model.Estimate(data.Pixels(frames));
        return DepthMetrics.AbsRelScaleShiftInvariant(prediction, data.DepthOf(frames));
    }
}
