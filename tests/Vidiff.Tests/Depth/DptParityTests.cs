using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using Vidiff.Depth;
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

    static string Fixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Vidiff.sln"))) return Path.Combine(dir.FullName, "tests", "fixtures", "depth", name);
        throw new FileNotFoundException($"Repository root (Vidiff.sln) not found above {AppContext.BaseDirectory}.");
    }

    static Dictionary<string, Tensor> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var result = new Dictionary<string, Tensor>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = new float[(offsets[1] - offsets[0]) / 4];
            Buffer.BlockCopy(bytes, (int)(8 + n + offsets[0]), data, 0, data.Length * 4);
            result[entry.Name] = tensor(data).reshape(shape);
        }
        return result;
    }

    static DptDepthEstimator Load(DptConfig config, string weights)
    {
        var model = new DptDepthEstimator(config);
        var stored = Read(Fixture(weights));
        var ours = model.state_dict();
        Assert.Equal(stored.Keys.Order(), ours.Keys.Order());
        using var _ = no_grad();
        foreach (var (key, value) in ours)
        {
            Assert.Equal(stored[key].shape, value.shape);
            value.copy_(stored[key]);
        }
        return model;
    }

    [Theory]
    [InlineData("32")]
    [InlineData("48")]
    public void DptMatchesReference(string size)
    {
        using var model = Load(TinyVit, "dpt_tiny.safetensors");
        var io = Read(Fixture("dpt_tiny_io.safetensors"));
        using var _ = no_grad();
        using var depth = model.Predict(io[$"pixel_values_{size}"]);
        var expected = io[$"predicted_depth_{size}"];
        Assert.Equal(expected.shape, depth.shape);
        float diff = (depth - expected).abs().max().item<float>();
        Console.WriteLine($"parity {size}: max |diff| {diff}");
        Assert.True(diff < 1e-4, $"max difference {diff}");
    }

    [Theory]
    [InlineData("28x28")]
    [InlineData("28x42")]
    [InlineData("42x42")]
    public void DepthAnythingMatchesReference(string size)
    {
        using var model = Load(TinyDinov2, "depth_anything_tiny.safetensors");
        var io = Read(Fixture("depth_anything_tiny_io.safetensors"));
        using var _ = no_grad();
        using var depth = model.Predict(io[$"pixel_values_{size}"]);
        var expected = io[$"predicted_depth_{size}"];
        Assert.Equal(expected.shape, depth.shape);
        float diff = (depth - expected).abs().max().item<float>();
        Console.WriteLine($"parity {size}: max |diff| {diff}");
        Assert.True(diff < 1e-4, $"max difference {diff}");
    }
}
