using TorchSharp;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Depth;
using Vidiff.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Depth;

/// <summary>Outputs of tiny random models built with Hugging Face's reference modeling code
/// (tools/fixtures/make_depth_fixtures.py, make_dpt_hybrid_fixture.py), loaded key for key into ours.</summary>
public class DptParityTests
{
    static readonly DptConfig TinyVit = DptConfig.Tiny;
    static readonly DptConfig TinyDinov2 = DptConfig.Tiny with
    {
        Backbone = DptBackbone.Dinov2,
        ImageSize = 28,
        PatchSize = 7,
        LayerNormEps = 1e-6,
        HeadHiddenSize = 8,
    };

    static string Fixture(params string[] name) => Fixtures.Path(["depth", .. name]);

    static DptDepthEstimator Load(DptConfig config, string weights)
    {
        var model = new DptDepthEstimator(config);
        ModuleWeights.Load(model, Fixture(weights)); // strict: every key on both sides, every shape equal
        return model;
    }

    [Theory]
    [InlineData("32")]
    [InlineData("48")]
    public void DptMatchesReference(string size) => AssertMatchesReference(TinyVit, "dpt_tiny", size);

    [Theory]
    [InlineData("28x28")]
    [InlineData("28x42")]
    [InlineData("42x42")]
    public void DepthAnythingMatchesReference(string size) => AssertMatchesReference(TinyDinov2, "depth_anything_tiny", size);

    /// <summary>DPT-Hybrid imported from its transformers folder (config.json + model.safetensors); 48 px resizes the
    /// position grid to an odd 3×3 and makes the ResNet's "SAME" padding asymmetric.</summary>
    [Theory]
    [InlineData("64")]
    [InlineData("48")]
    public void DptHybridMatchesReference(string size)
    {
        using var model = PretrainedImport.Depth(Fixture("dpt_hybrid_tiny"));
        AssertMatchesReference(model, "dpt_hybrid_tiny", size, size);
    }

    /// <summary>The same weights under the BiT config's other padding variant (global_padding null: PyTorch's symmetric
    /// padding, a zero border before the stem's GroupNorm, no "SAME" pooling pad).</summary>
    [Fact]
    public void DptHybridWithSymmetricPaddingMatchesReference()
    {
        var config = TransformersConfig.Depth(Fixture("dpt_hybrid_tiny", "config.json"));
        Assert.True(config.Bit!.SamePadding);
        using var model = Load(config with { Bit = config.Bit with { SamePadding = false, PoolSamePadding = false } }, Path.Combine("dpt_hybrid_tiny", "model.safetensors"));
        AssertMatchesReference(model, "dpt_hybrid_tiny", "64", "symmetric_64");
    }

    static void AssertMatchesReference(DptConfig config, string fixture, string size)
    {
        using var model = Load(config, fixture + ".safetensors");
        AssertMatchesReference(model, fixture, size, size);
    }

    static void AssertMatchesReference(DptDepthEstimator model, string fixture, string input, string output)
    {
        using var io = new SafetensorsFile(Fixture(fixture + "_io.safetensors"));
        using var _ = no_grad();
        using var depth = model.Predict(io.Read($"pixel_values_{input}"));
        using var expected = io.Read($"predicted_depth_{output}");
        Assert.Equal(expected.shape, depth.shape);
        float diff = (depth - expected).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max difference {diff}");
    }
}
