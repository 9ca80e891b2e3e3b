using Vidiff.Checkpoints;
using Vidiff.Depth;
using static TorchSharp.torch;

namespace Vidiff.Tests.Checkpoints;

public class EmptyNetworkTests
{
    /// <summary>Every network of a model, built empty in bf16 and loaded, holds the saved values converted, on the CPU.</summary>
    [Fact]
    public void EmptyNetworksLoadTheSavedValues()
    {
        using var dir = new Fixtures.TempDir();
        var config = ModelConfig.Tiny(99, 98);
        foreach (var file in ModelFolder.WeightFiles)
        {
            manual_seed(7);
            using var source = ModelFolder.Network(config, file);
            ModuleWeights.Save(source, dir[file]);
            using var empty = EmptyNetwork.Build(() => ModelFolder.Network(config, file), ScalarType.BFloat16);
            ModuleWeights.Load(empty, dir[file]);
            var expected = source.state_dict();
            foreach (var (key, t) in empty.state_dict())
            {
                Assert.Equal(TorchSharp.DeviceType.CPU, t.device_type);
                Assert.Equal(t.is_floating_point() ? ScalarType.BFloat16 : expected[key].dtype, t.dtype);
                using var want = expected[key].to_type(t.dtype);
                Assert.True(want.bytes.SequenceEqual(t.contiguous().bytes), $"{file}: {key}");
            }
        }
    }

    /// <summary>DPT keeps its normalisation constants in plain fields: it is built normally, constants intact.</summary>
    [Fact]
    public void NetworksWithConstantsAreBuiltNormally()
    {
        using var dpt = EmptyNetwork.Build(() => new DptDepthEstimator(DptConfig.Tiny));
        Assert.All(dpt.parameters(), p => Assert.False(p.is_meta));
        using var _ = no_grad();
        dpt.eval();
        Assert.True(dpt.Predict(rand(1, 3, 32, 32)).isfinite().all().item<bool>());
    }
}
