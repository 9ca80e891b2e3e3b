using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Diffusion;
using Vidiff.Pipelines;
using Vidiff.Structure;
using static TorchSharp.torch;

namespace Vidiff.Tests.Pipelines;

/// <summary>A tiny random model and clips for edit tests: 16×16 frames, 8×8 latents.</summary>
static class EditFixtures
{
    static readonly Lazy<ClipTokenizer> tokenizer = new(() => ClipTokenizer.Train(
        ["a red cube on a blue floor", "a green sphere under a grey sky", "a yellow cone beside a white wall", "blue"], 560));

    public static ClipTokenizer Tokenizer() => tokenizer.Value;

    /// <summary>The random depth head ends in a ReLU that mostly outputs 0; a positive last bias makes the depth vary.</summary>
    public static ModelFolder TinyModel(long seed = 0)
    {
        var model = ModelFolder.Create(ModelConfig.Tiny(Tokenizer().VocabSize, Tokenizer().EndId), Tokenizer(), seed);
        using var _ = no_grad();
        model.Depth.named_parameters().Single(p => p.name == "head.head.4.bias").parameter.fill_(1);
        return model;
    }

    /// <summary>A moving bright square over a gradient: structure the depth estimator can see, [F, 3, 16, 16] in [−1, 1].</summary>
    public static Tensor Clip(int frames)
    {
        using var scope = NewDisposeScope();
        var x = linspace(-1, 1, 16).view(1, 1, 1, 16).expand(frames, 3, 16, 16).clone();
        for (int f = 0; f < frames; f++) x[f, .., 4..10, (f % 8)..(f % 8 + 6)] = tensor(0.9f);
        return x.MoveToOuterDisposeScope();
    }

    public static Func<IEnumerable<Tensor>> Chunks(Tensor clip, int size) =>
        () => Enumerable.Range(0, (int)((clip.shape[0] + size - 1) / size)).Select(i => clip.narrow(0, i * size, Math.Min(size, clip.shape[0] - i * size)));

    public static Tensor Edit(ModelFolder model, Tensor clip, EditOptions options, int chunk = 3, IProgress<EditProgress>? progress = null, CancellationToken cancel = default)
    {
        var outputs = new List<Tensor>();
        new EditPipeline(model).Run(Chunks(clip, chunk), options, frames => outputs.Add(frames.clone().DetachFromDisposeScope()), progress: progress, cancel: cancel);
        return cat(outputs, 0);
    }
}

public class EditPipelineTests
{
    static readonly EditOptions Quick = new(Prompt: "a red cube", Steps: 2, Seed: 1);

    [Fact]
    public void OutputHasEveryFrameAtTheInputSize()
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(11);
        using var output = EditFixtures.Edit(model, clip, Quick);
        Assert.Equal(new long[] { 11, 3, 16, 16 }, output.shape);
        Assert.True(output.isfinite().all().item<bool>());
        Assert.True(output.abs().max().item<float>() <= 1f);
    }

    [Fact]
    public void SameSeedSameOutputOtherSeedDiffers()
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(5);
        using var a = EditFixtures.Edit(model, clip, Quick);
        using var again = EditFixtures.Edit(model, clip, Quick);
        using var b = EditFixtures.Edit(model, clip, Quick, chunk: 2);
        using var c = EditFixtures.Edit(model, clip, Quick with { Seed = 2 });
        Assert.Equal(0f, (a - again).abs().max().item<float>());
        // Other read chunks change only float rounding (batched depth).
        Assert.True((a - b).abs().max().item<float>() < 1e-4f);
        Assert.True((a - c).abs().max().item<float>() > 1e-3f, "another seed changes the output");
    }

    [Fact]
    public void StreamedStructureEqualsTheEncoderOnTheWholeClip()
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(7);
        using var depth = model.Depth.forward(clip);
        Assert.True((depth.max() - depth.min()).item<float>() > 0, "the fixture's depth is not constant");
        foreach (int ts in new[] { 0, 3, StructureEncoder.MaxLevel })
        {
            using var expected = StructureEncoder.Encode(depth, ts, 8, 8);
            var (streamed, chunks, _) = new EditPipeline(model).EncodeStructure(EditFixtures.Chunks(clip, 3), ts, _ => { }, default);
            using (streamed)
            {
                Assert.Equal(new[] { 3, 3, 1 }, chunks);
                Assert.Equal(expected.shape, streamed.shape);
                Assert.True(streamed.allclose(expected, rtol: 0, atol: 1e-4), $"t_s = {ts}: max diff {(streamed - expected).abs().max().item<float>()}");
            }
        }
    }

    [Fact]
    public void WindowedPredictionOfAClipInOneWindowIsTheGuidedPrediction()
    {
        using var model = EditFixtures.TinyModel();
        manual_seed(3);
        using var z = randn([1, 4, 6, 8, 8]);
        using var s = rand([1, 1, 6, 8, 8]) * 2 - 1;
        using var c = randn(1, 1, 32);
        using var u = zeros(1, 1, 32);
        using var t = tensor(new[] { 500L });
        using var _ = no_grad();
        VideoDenoiser unet = (zt, time, content, perFrame) => model.Unet.forward(zt, s.expand(zt.shape[0], -1, -1, -1, -1), time, content, perFrame);
        using var expected = Guidance.Combine(unet, c, u, 7.5, 1.5, GuidanceForm.Paper)(z, t);
        using var windowed = EditPipeline.Windowed(model.Unet, FrameWindows.Plan(6, 8, 2), s, c, u, 7.5, 1.5, GuidanceForm.Paper, CrossFrameAttention.Off, (_, _) => { }, default)(z, t);
        Assert.True(windowed.allclose(expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void WindowsCoverEveryFrameAndBlendOverlaps()
    {
        using var model = EditFixtures.TinyModel();
        var plan = FrameWindows.Plan(20, 8, 2);
        Assert.True(plan.Windows.Count > 2);
        manual_seed(4);
        using var z = randn([1, 4, 20, 8, 8]);
        using var s = rand([1, 1, 20, 8, 8]) * 2 - 1;
        using var c = randn(1, 1, 32);
        using var u = zeros(1, 1, 32);
        using var t = tensor(new[] { 900L });
        using var _ = no_grad();
        int calls = 0;
        using var windowed = EditPipeline.Windowed(model.Unet, plan, s, c, u, 1, 1, GuidanceForm.Paper, CrossFrameAttention.Off, (_, _) => calls++, default)(z, t);
        Assert.Equal(plan.Windows.Count, calls);
        // Each frame is the weighted mean of the predictions of the windows holding it.
        var expected = zeros_like(z);
        foreach (var w in plan.Windows)
        {
            using var p = model.Unet.forward(z.narrow(2, w.Start, w.Length), s.narrow(2, w.Start, w.Length), t, c);
            expected.narrow(2, w.Start, w.Length).add_(p * tensor(w.Weights).view(1, 1, -1, 1, 1));
        }
        Assert.True(windowed.allclose(expected, rtol: 0, atol: 1e-5));
        Assert.True(windowed.abs().sum(new long[] { 0, 1, 3, 4 }).min().item<float>() > 0, "every frame gets a prediction");
    }

    [Fact]
    public void LongClipRunsInWindowsAndReportsProgress()
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(19);
        var reports = new List<EditProgress>();
        using var output = EditFixtures.Edit(model, clip, Quick, chunk: 4, progress: new Progress(reports.Add));
        Assert.Equal(19, output.shape[0]);
        var denoise = reports.Where(r => r.Stage == EditProgress.Phase.Denoise).ToList();
        int windows = FrameWindows.Plan(19, 8, 2).Windows.Count;
        Assert.Equal(2 * windows, denoise.Count);
        Assert.All(denoise, r => Assert.Equal(windows, r.Windows));
        Assert.Equal(19, reports.Last(r => r.Stage == EditProgress.Phase.Decode).Frames);
        Assert.Equal(TimeSpan.Zero, denoise[^1].Remaining);
    }

    [Fact]
    public void CancellationStopsWithinAStepAndWritesNothing()
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(19);
        using var cancel = new CancellationTokenSource();
        int written = 0, windowsAfterCancel = 0;
        var progress = new Progress(p =>
        {
            if (cancel.IsCancellationRequested && p.Stage == EditProgress.Phase.Denoise) windowsAfterCancel++;
            if (p.Stage == EditProgress.Phase.Denoise && p.Window == 1) cancel.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new EditPipeline(model).Run(EditFixtures.Chunks(clip, 4), Quick with { Steps = 5 }, _ => written++, progress: progress, cancel: cancel.Token));
        Assert.Equal(0, written);
        Assert.Equal(0, windowsAfterCancel); // no window runs after the cancel
    }

    [Fact]
    public void ImageContentAndNegativesChangeTheOutput()
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(4);
        using var image = EditFixtures.Clip(1) * -1;
        using var text = EditFixtures.Edit(model, clip, Quick);
        using var byImage = EditFixtures.Edit(model, clip, Quick with { Prompt = null, Image = image });
        using var negative = EditFixtures.Edit(model, clip, Quick with { NegativePrompt = "blue" });
        Assert.True((text - byImage).abs().max().item<float>() > 1e-4f);
        Assert.True((text - negative).abs().max().item<float>() > 1e-4f);
    }

    [Theory]
    [InlineData(-1, 2, 7.5, "--ts -1 is outside [0, 7]")]
    [InlineData(8, 2, 7.5, "--ts 8 is outside [0, 7]")]
    [InlineData(3, 0, 7.5, "--steps 0 is outside [1, 1000]")]
    [InlineData(3, 2, double.NaN, "--guidance NaN is outside [0, 30]")]
    public void BadKnobsAreRefusedNamingTheValue(int ts, int steps, double guidance, string message)
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(2);
        var e = Assert.ThrowsAny<ArgumentException>(() => EditFixtures.Edit(model, clip, Quick with { StructureLevel = ts, Steps = steps, Guidance = guidance }));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ContentMustBeExactlyOneOfPromptAndImage()
    {
        using var model = EditFixtures.TinyModel();
        using var image = EditFixtures.Clip(1);
        Assert.Throws<ArgumentException>(() => (Quick with { Image = image }).Resolve(model.Config));
        Assert.Throws<ArgumentException>(() => (Quick with { Prompt = null }).Resolve(model.Config));
    }

    [Fact]
    public void DepthIsNormalisedPerClipToUnitRange()
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(5);
        var outputs = new List<Tensor>();
        Assert.Equal(5, new EditPipeline(model).EstimateDepth(EditFixtures.Chunks(clip, 2), d => outputs.Add(d.clone().DetachFromDisposeScope())));
        using var depth = cat(outputs, 0);
        Assert.Equal(new long[] { 5, 1, 16, 16 }, depth.shape);
        Assert.Equal(0f, depth.min().item<float>(), 5);
        Assert.Equal(1f, depth.max().item<float>(), 5);
    }

    [Fact]
    public void ColourMapRunsFromDarkThroughGreenToRed()
    {
        using var colours = EditPipeline.ColourDepth(tensor(new[] { -1f, 0f, 0.8f }).view(3, 1, 1, 1));
        var rgb = ((colours.view(3, 3) + 1) / 2).data<float>().ToArray();
        Assert.True(rgb[..3].All(c => c < 0.2f), "far is dark");
        Assert.True(rgb[4] > rgb[3] && rgb[4] > rgb[5], "middle is green");
        Assert.True(rgb[6] > rgb[7] && rgb[6] > rgb[8], "near is red");
    }

    sealed class Progress(Action<EditProgress> report) : IProgress<EditProgress>
    {
        public void Report(EditProgress value) => report(value);
    }
}
