using TorchSharp;
using Vidiff.Checkpoints;
using Vidiff.Diffusion;
using Vidiff.Pipelines;
using static TorchSharp.torch;

namespace Vidiff.Tests.Pipelines;

/// <summary>Issue 18 §2 in the edit: cross-frame attention's default and its windows, and noise shared across frames.</summary>
public class CrossFrameEditTests
{
    static readonly EditOptions Quick = new(Prompt: "a red cube", Steps: 2, Seed: 1);

    static float MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Fact]
    public void AnchorIsTheDefaultOnlyWhereTemporalLayersAreUntrained()
    {
        var trained = ModelConfig.Tiny(100, 99);
        var untrained = trained with { TemporalLayersTrained = false };
        Assert.Equal(CrossFrameAttention.Off, Quick.Resolve(trained).CrossFrame);
        Assert.Equal(CrossFrameAttention.Anchor, Quick.Resolve(untrained).CrossFrame);
        Assert.Equal(CrossFrameAttention.Off, (Quick with { CrossFrame = CrossFrameAttention.Off }).Resolve(untrained).CrossFrame);
        Assert.Equal(CrossFrameAttention.Anchor, (Quick with { CrossFrame = CrossFrameAttention.Anchor }).Resolve(trained).CrossFrame);
    }

    [Fact]
    public void AnchorWithoutSpatialSelfAttentionIsRefused()
    {
        var config = ModelConfig.Tiny(100, 99) with { TemporalLayersTrained = false };
        config = config with { Unet = config.Unet with { Transformers = [false, false], TransformerDepth = 0 } };
        Assert.Equal(CrossFrameAttention.Off, Quick.Resolve(config).CrossFrame); // nothing to anchor through
        var e = Assert.Throws<ArgumentException>(() => (Quick with { CrossFrame = CrossFrameAttention.Anchor }).Resolve(config));
        Assert.Equal("--cross-frame anchor needs spatial self-attention, and the UNet of model tiny has none (transformer_depth 0); use --cross-frame off.", e.Message);
    }

    [Fact]
    public void OffIsTheEditAsBeforeAnchorChangesItAndOneFrameIsUnchanged()
    {
        using var model = EditFixtures.TinyModel();
        using var clip = EditFixtures.Clip(5);
        using var plain = EditFixtures.Edit(model, clip, Quick);
        using var off = EditFixtures.Edit(model, clip, Quick with { CrossFrame = CrossFrameAttention.Off, SharedNoise = 0 });
        using var anchor = EditFixtures.Edit(model, clip, Quick with { CrossFrame = CrossFrameAttention.Anchor });
        Assert.Equal(0f, MaxDiff(plain, off));
        Assert.True(MaxDiff(plain, anchor) > 1e-3f, "anchors change a clip's frames");
        // The first frame is the anchor and reads only itself: the only change can come from the other frames through
        // the video model, and the tiny model's temporal layers are the identity.
        Assert.True(MaxDiff(plain[0], anchor[0]) < 1e-4f);

        using var frame = EditFixtures.Clip(1);
        Assert.True(MaxDiff(EditFixtures.Edit(model, frame, Quick), EditFixtures.Edit(model, frame, Quick with { CrossFrame = CrossFrameAttention.Anchor })) < 1e-4f);
    }

    [Fact]
    public void EveryWindowAnchorsToItsFirstFrameAndThePreviousWindowsLast()
    {
        using var model = EditFixtures.TinyModel();
        var pipeline = new EditPipeline(model);
        var plan = FrameWindows.Plan(20, 8, 2);
        manual_seed(4);
        using var z = randn([1, 4, 20, 8, 8]);
        using var s = rand([1, 1, 20, 8, 8]) * 2 - 1;
        using var c = randn(1, 1, 32);
        using var u = zeros(1, 1, 32);
        using var t = tensor(new[] { 900L });
        using var _ = no_grad();
        // ω = 0, ω_t = 0 in our form is the per-frame model on ∅ alone.
        using var windowed = EditPipeline.Windowed(model.Unet, plan, s, c, u, 0, 0, GuidanceForm.Both, CrossFrameAttention.Anchor, (_, _) => { }, default)(z, t);
        using var expected = zeros_like(z);
        for (int w = 0; w < plan.Windows.Count; w++)
        {
            var window = plan.Windows[w];
            using var p = model.Unet.forward(z.narrow(2, window.Start, window.Length), s.narrow(2, window.Start, window.Length), t, u, perFrame: true, plan.Anchors(w));
            expected.narrow(2, window.Start, window.Length).add_(p * tensor(window.Weights).view(1, 1, -1, 1, 1));
        }
        Assert.True(windowed.allclose(expected, rtol: 0, atol: 1e-5));
        using var off = EditPipeline.Windowed(model.Unet, plan, s, c, u, 0, 0, GuidanceForm.Both, CrossFrameAttention.Off, (_, _) => { }, default)(z, t);
        Assert.True(MaxDiff(windowed, off) > 1e-3f);
    }

    [Fact]
    public void SharedNoiseIsStillUnitNoiseWithTheAskedShareInCommon()
    {
        long[] shape = [1, 4, 6, 32, 32];
        using var independent = randn(shape, generator: new Generator(7));
        using var none = SharedNoise.Sample(shape, 0, new Generator(7));
        Assert.Equal(0f, MaxDiff(independent, none)); // no share: the noise of an edit without the option

        using var all = SharedNoise.Sample(shape, 1, new Generator(7));
        Assert.Equal(0f, MaxDiff(all, all[.., .., ..1].expand(shape)));

        using var half = SharedNoise.Sample(shape, 0.5, new Generator(7));
        Assert.Equal(1.0, half.std().item<float>(), 1);
        // Correlation between two frames is the share.
        using var a = half[.., .., 0].flatten();
        using var b = half[.., .., 3].flatten();
        Assert.Equal(0.5, ((a * b).mean() / (a.std() * b.std())).item<float>(), 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedNoise.Sample(shape, 1.5, new Generator(7)));
    }

    [Fact]
    public void ASharedNoiseShareOutsideZeroToOneIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => (Quick with { SharedNoise = -0.5 }).CheckScales());
        Assert.StartsWith("--shared-noise -0.5 is outside [0, 1]", e.Message);
    }
}
