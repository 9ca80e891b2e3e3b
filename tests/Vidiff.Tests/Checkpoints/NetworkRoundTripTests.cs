using TorchSharp;
using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Prior;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Tests.Checkpoints;

/// <summary>Every network saved by the project and loaded into a fresh instance is bit-for-bit the same
/// (compared through float64, which represents every fp32 and bf16 value exactly).</summary>
public sealed class NetworkRoundTripTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-roundtrip-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string> Networks => ["unet", "autoencoder", "clip", "prior", "regression-prior", "depth"];

    static nn.Module Create(string name, long seed)
    {
        manual_seed(seed);
        nn.Module module = name switch
        {
            "unet" => new SpatioTemporalUnet(UnetConfig.Tiny),
            "autoencoder" => new AutoencoderKL(AutoencoderConfig.Tiny),
            "clip" => new ClipModel(ClipConfig.Tiny),
            "prior" => new PriorTransformer(PriorConfig.Tiny),
            "regression-prior" => new RegressionPrior(24, 48),
            "depth" => new DptDepthEstimator(DptConfig.Tiny),
            _ => throw new ArgumentException(name),
        };
        // Zero-initialised temporal layers would round-trip trivially: give every tensor random bits.
        using var _ = no_grad();
        foreach (var (_, t) in module.state_dict()) if (t.is_floating_point()) t.copy_(randn_like(t));
        return module;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void SaveThenLoadIsBitExact(string name)
    {
        using var saved = Create(name, 1);
        using var loaded = Create(name, 2);
        var path = Path.Combine(dir, name + ".safetensors");
        ModuleWeights.Save(saved, path);
        ModuleWeights.Load(loaded, path);

        var expected = saved.state_dict();
        var actual = loaded.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, tensor) in expected)
            Assert.True(tensor.to(ScalarType.Float64).eq(actual[key].to(ScalarType.Float64)).all().item<bool>(), $"{name}: {key} differs after the round trip");
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Bf16RoundTripKeepsBf16BitsExactly(string name)
    {
        using var saved = Create(name, 3);
        using var loaded = Create(name, 4);
        saved.to(ScalarType.BFloat16);
        loaded.to(ScalarType.BFloat16);
        var path = Path.Combine(dir, name + "-bf16.safetensors");
        ModuleWeights.Save(saved, path);
        ModuleWeights.Load(loaded, path);
        foreach (var (key, tensor) in saved.state_dict())
            Assert.True(tensor.to(ScalarType.Float64).eq(loaded.state_dict()[key].to(ScalarType.Float64)).all().item<bool>(), $"{name}: {key} differs");
    }
}
