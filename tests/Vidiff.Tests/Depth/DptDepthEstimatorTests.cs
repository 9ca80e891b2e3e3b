using TorchSharp;
using Vidiff.Depth;
using static TorchSharp.torch;

namespace Vidiff.Tests.Depth;

public class DptDepthEstimatorTests
{
    [Theory]
    [InlineData(32, 32)]
    [InlineData(24, 40)]
    [InlineData(64, 48)]
    public void ReturnsOneDepthMapPerFrameAtFrameSize(int h, int w)
    {
        manual_seed(0);
        using var model = new DptDepthEstimator(DptConfig.Tiny);
        using var frames = rand(3, 3, h, w) * 2 - 1;
        using var depth = model.Estimate(frames, chunkSize: 2);
        Assert.Equal(new long[] { 3, 1, h, w }, depth.shape);
        Assert.True(depth.isfinite().all().item<bool>());
    }

    [Fact]
    public void ChunkingDoesNotChangeTheResult()
    {
        manual_seed(1);
        using var model = new DptDepthEstimator(DptConfig.Tiny);
        using var frames = rand(5, 3, 32, 32) * 2 - 1;
        using var whole = model.Estimate(frames, chunkSize: 5);
        using var chunked = model.Estimate(frames, chunkSize: 2);
        Assert.True(whole.allclose(chunked, rtol: 1e-5, atol: 1e-6));
        Assert.True(whole.std().item<float>() > 0, "the random model should not predict a constant map");
    }

    [Fact]
    public void PredictHandlesNonSquareTokenGrids()
    {
        manual_seed(2);
        using var vit = new DptDepthEstimator(DptConfig.Tiny);
        using var dino = new DptDepthEstimator(DptConfig.Tiny with { Backbone = DptBackbone.Dinov2, ImageSize = 28, PatchSize = 7, LayerNormEps = 1e-6 });
        using var _ = no_grad();
        // DPT head upsamples the 4× finest map twice more (16 px per 8-px patch); Depth Anything returns patch resolution.
        Assert.Equal(new long[] { 1, 64, 96 }, vit.Predict(randn(1, 3, 32, 48)).shape);
        Assert.Equal(new long[] { 1, 28, 42 }, dino.Predict(randn(1, 3, 28, 42)).shape);
    }

    [Fact]
    public void ParameterNamesFollowHuggingFaceLayout()
    {
        using var vit = new DptDepthEstimator(DptConfig.Tiny);
        var names = vit.state_dict().Keys.ToHashSet();
        Assert.Contains("dpt.embeddings.cls_token", names);
        Assert.Contains("dpt.embeddings.position_embeddings", names);
        Assert.Contains("dpt.embeddings.patch_embeddings.projection.weight", names);
        Assert.Contains("dpt.encoder.layer.3.attention.attention.query.weight", names);
        Assert.Contains("dpt.encoder.layer.0.attention.output.dense.bias", names);
        Assert.Contains("dpt.encoder.layer.0.intermediate.dense.weight", names);
        Assert.Contains("dpt.encoder.layer.0.output.dense.weight", names);
        Assert.Contains("dpt.encoder.layer.0.layernorm_before.weight", names);
        Assert.Contains("dpt.encoder.layer.0.layernorm_after.bias", names);
        Assert.Contains("dpt.layernorm.weight", names);
        Assert.Contains("neck.reassemble_stage.readout_projects.0.0.weight", names);
        Assert.Contains("neck.reassemble_stage.layers.0.resize.weight", names);
        Assert.DoesNotContain("neck.reassemble_stage.layers.2.resize.weight", names);
        Assert.Contains("neck.convs.3.weight", names);
        Assert.DoesNotContain("neck.convs.3.bias", names);
        Assert.Contains("neck.fusion_stage.layers.0.residual_layer1.convolution2.bias", names);
        Assert.Contains("head.head.4.weight", names);

        using var dino = new DptDepthEstimator(DptConfig.Tiny with { Backbone = DptBackbone.Dinov2, ImageSize = 28, PatchSize = 7 });
        var dinoNames = dino.state_dict().Keys.ToHashSet();
        Assert.Contains("backbone.embeddings.mask_token", dinoNames);
        Assert.Contains("backbone.encoder.layer.0.norm1.weight", dinoNames);
        Assert.Contains("backbone.encoder.layer.0.layer_scale1.lambda1", dinoNames);
        Assert.Contains("backbone.encoder.layer.0.mlp.fc2.weight", dinoNames);
        Assert.Contains("backbone.layernorm.bias", dinoNames);
        Assert.Contains("head.conv3.weight", dinoNames);
        Assert.DoesNotContain(dinoNames, n => n.Contains("readout_projects"));
    }

    [Theory]
    [InlineData(64, 64, 384, 384)]
    [InlineData(480, 640, 384, 512)]
    public void DptLargeResizesToMultiplesOf32AroundItsTrainingSize(int h, int w, int eh, int ew) =>
        Assert.Equal((eh, ew), DptConfig.DptLarge.ProcessingSize(h, w));

    [Theory]
    [InlineData(1080, 1920, 518, 924)]
    [InlineData(64, 96, 350, 518)]
    public void DepthAnythingScalesAsLittleAsPossible(int h, int w, int eh, int ew) =>
        Assert.Equal((eh, ew), DptConfig.DepthAnythingV2Small.ProcessingSize(h, w));

    [Fact]
    public void MiniSeesItsFramesUnresized() => Assert.Equal((64, 64), DptConfig.Mini.ProcessingSize(64, 64));

    [Fact]
    public void RejectsFramesThatAreNotRgb()
    {
        using var model = new DptDepthEstimator(DptConfig.Tiny);
        var e = Assert.Throws<ArgumentException>(() => model.forward(zeros(1, 1, 32, 32)));
        Assert.Contains("[1,1,32,32]", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Predict(zeros(1, 3, 30, 32)));
        Assert.Contains("patch size 8", e.Message);
    }

    static readonly DptConfig TinyHybrid = DptConfig.Tiny with
    {
        Backbone = DptBackbone.VitHybrid,
        ImageSize = 64,
        PatchSize = 16,
        NeckHiddenSizes = [16, 32, 16, 16],
        Bit = new BitConfig(8, [16, 32, 48], [2, 1, 1], [1, 2, 3], 4, SamePadding: true, PoolSamePadding: true),
    };

    [Fact]
    public void HybridReturnsOneDepthMapPerFrameAtFrameSize()
    {
        manual_seed(3);
        using var model = new DptDepthEstimator(TinyHybrid);
        using var frames = rand(3, 3, 40, 56) * 2 - 1;
        using var depth = model.Estimate(frames, chunkSize: 2);
        Assert.Equal(new long[] { 3, 1, 40, 56 }, depth.shape);
        Assert.True(depth.isfinite().all().item<bool>());
        Assert.True(depth.std().item<float>() > 0, "the random model should not predict a constant map");
    }

    [Fact]
    public void HybridRunsInBf16OnFloat32Frames()
    {
        manual_seed(3);
        using var model = new DptDepthEstimator(TinyHybrid);
        model.to(ScalarType.BFloat16);
        using var frames = rand(2, 3, 32, 32) * 2 - 1;
        using var depth = model.Estimate(frames);
        Assert.Equal(ScalarType.Float32, depth.dtype);
        Assert.True(depth.isfinite().all().item<bool>());
    }

    [Fact]
    public void HybridConfigsThatCannotRunAreRefusedByName()
    {
        string Problem(DptConfig c) => Assert.Throws<ArgumentException>(() => new DptDepthEstimator(c)).Message;
        Assert.Contains("BiT config exactly when", Problem(TinyHybrid with { Bit = null }));
        Assert.Contains("BiT config exactly when", Problem(DptConfig.Tiny with { Bit = TinyHybrid.Bit }));
        Assert.Contains("divisible by 3 groups", Problem(TinyHybrid with { Bit = TinyHybrid.Bit! with { Groups = 3 } }));
        Assert.Contains("neck hidden sizes equal to the BiT channels 16, 32", Problem(TinyHybrid with { NeckHiddenSizes = [8, 32, 16, 16] }));
        Assert.Contains("patch size 16", Problem(TinyHybrid with { PatchSize = 8 }));
        Assert.Contains("3 strictly increasing BiT out indices", Problem(TinyHybrid with { Bit = TinyHybrid.Bit! with { OutIndices = [1, 3] } }));
    }
}
