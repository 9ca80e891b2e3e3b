using Vidiff.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Checkpoints;

/// <summary>The positioned, chunked reads of <see cref="SafetensorsFile.ReadInto"/> give the stored values bit for bit.</summary>
public class StreamedReadTests
{
    [Theory]
    [InlineData(ScalarType.Float32, ScalarType.Float32)]
    [InlineData(ScalarType.Float32, ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16, ScalarType.Float32)]
    [InlineData(ScalarType.Float16, ScalarType.BFloat16)]
    [InlineData(ScalarType.BFloat16, ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16, ScalarType.BFloat16)]
    public void ChunkedReadsReproduceTheStoredTensor(ScalarType stored, ScalarType loaded)
    {
        using var dir = new Fixtures.TempDir();
        manual_seed(3);
        // Odd sizes so that chunks of 40 bytes end inside rows and the last chunk is short.
        var tensors = new Dictionary<string, Tensor>
        {
            ["a"] = (randn(7, 11, 13) * 100).to_type(stored),
            ["b"] = randn(3).to_type(stored),
            ["c"] = randn(0, 4).to_type(stored),
        };
        Safetensors.Write(dir["w.safetensors"], tensors);
        using var file = new SafetensorsFile(dir["w.safetensors"]) { ChunkBytes = 40 };
        foreach (var (key, expected) in tensors)
        {
            using var want = expected.to_type(loaded);
            using var target = full(expected.shape, float.NaN, loaded);
            file.ReadInto(key, target);
            Assert.Equal(want.bytes.ToArray(), target.bytes.ToArray());
            using var fresh = file.Read(key, loaded);
            Assert.Equal(want.bytes.ToArray(), fresh.bytes.ToArray());
        }
        // A [C, C, 1, 1] convolution read into a [C, C] linear weight, and a non-contiguous target.
        using var flat = empty(7, 143, loaded);
        file.ReadInto("a", flat);
        using var wantFlat = tensors["a"].to_type(loaded).reshape(7, 143);
        Assert.Equal(wantFlat.bytes.ToArray(), flat.bytes.ToArray());
        using var strided = empty(143, 7, loaded).t();
        file.ReadInto("a", strided);
        using var gathered = strided.contiguous();
        Assert.Equal(wantFlat.bytes.ToArray(), gathered.bytes.ToArray());
        Assert.Throws<ArgumentException>(() => file.ReadInto("b", empty(4, loaded)));
    }
}
