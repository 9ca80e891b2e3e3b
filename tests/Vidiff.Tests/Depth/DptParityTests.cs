using TorchSharp;
using Vidiff.Checkpoints;
using Vidiff.Depth;
using Vidiff.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Depth;

/// <summary>Outputs of tiny random models built with Hugging Face's reference modeling code
/// (tools/fixtures/make_depth_fixtures.py), loaded key for key into ours.</summary>
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

    static string Fixture(string name) => Fixtures.Path("depth", name);

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

    static void AssertMatchesReference(DptConfig config, string fixture, string size)
    {
        using var model = Load(config, fixture + ".safetensors");
        using var io = new SafetensorsFile(Fixture(fixture + "_io.safetensors"));
        using var _ = no_grad();
        using var depth = model.Predict(io.Read($"pixel_values_{size}"));
        using var expected = io.Read($"predicted_depth_{size}");
        Assert.Equal(expected.shape, depth.shape);
        float diff = (depth - expected).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max difference {diff}");
    }
}
