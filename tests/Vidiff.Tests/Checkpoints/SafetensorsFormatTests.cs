using System.Buffers.Binary;
using System.Text;
using Vidiff.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Checkpoints;

public class SafetensorsFormatTests
{
    // The tensors of tools/fixtures/safetensors_fixture.py, as raw little-endian bytes (hex).
    static readonly (string Key, ScalarType DType, long[] Shape, string Hex)[] Reference =
    [
        ("bf16", ScalarType.BFloat16, [2, 3], "803f0080807f80ffc17f0100"),
        ("bool", ScalarType.Bool, [3], "010001"),
        ("empty", ScalarType.Float32, [0, 3], ""),
        ("f16", ScalarType.Float16, [2, 3], "003c0080007c00fc017e0100"),
        ("f32", ScalarType.Float32, [2, 3], "0000c03f000000800000807f000080ff0100c07f01000000"),
        ("f64", ScalarType.Float64, [3], "000000000000f83f0000000000000080010000000000f87f"),
        ("i16", ScalarType.Int16, [3], "0080ff7fffff"),
        ("i32", ScalarType.Int32, [3], "00000080ffffff7fffffffff"),
        ("i64", ScalarType.Int64, [2, 2], "0000000000000080ffffffffffffff7fffffffffffffffff0000000000000000"),
        ("i8", ScalarType.Int8, [3], "807fff"),
        ("scalar", ScalarType.Int64, [], "2a00000000000000"),
        ("u8", ScalarType.Byte, [3], "00ff80"),
    ];

    static Tensor FromBytes(ScalarType dtype, long[] shape, byte[] raw)
    {
        var t = empty(shape, dtype);
        if (raw.Length > 0) t.bytes = raw;
        return t;
    }

    static string Hex(Tensor t) => t.numel() == 0 ? "" : Convert.ToHexStringLower(t.bytes);

    [Theory]
    [InlineData("reference.safetensors")]
    [InlineData("shuffled.safetensors")]
    public void ReadsPythonWrittenFileExactly(string name)
    {
        using var file = new SafetensorsFile(Fixtures.Path("safetensors", name));
        Assert.Equal(Reference.Select(r => r.Key).Order(), file.Keys.Order());
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("python struct+json", file.Metadata["source"]);
        foreach (var (key, dtype, shape, hex) in Reference)
        {
            Assert.Equal(dtype, file[key].DType);
            Assert.Equal(shape, file[key].Shape);
            using var t = file.Read(key);
            Assert.Equal(dtype, t.dtype);
            Assert.Equal(shape, t.shape);
            Assert.Equal(hex, Hex(t));
        }
        Assert.Contains("has no tensor \"f33\"", Assert.Throws<CheckpointFormatException>(() => file.Read("f33")).Message);
    }

    [Fact]
    public void ReadsThroughASymbolicLink()
    {
        // Hugging Face caches link every weights file into its blobs; the link's own size is not the file's.
        using var dir = new Fixtures.TempDir();
        File.CreateSymbolicLink(dir["linked.safetensors"], Path.GetFullPath(Fixtures.Path("safetensors", "reference.safetensors")));
        using var file = new SafetensorsFile(dir["linked.safetensors"]);
        using var t = file.Read("f32");
        Assert.Equal(Reference.Single(r => r.Key == "f32").Hex, Hex(t));
    }

    [Fact]
    public void WriterReproducesPythonFileByteForByte()
    {
        using var dir = new Fixtures.TempDir();
        var tensors = Reference.ToDictionary(r => r.Key, r => FromBytes(r.DType, r.Shape, Convert.FromHexString(r.Hex)));
        Safetensors.Write(dir["ours.safetensors"], tensors, new Dictionary<string, string> { ["source"] = "python struct+json", ["format"] = "pt" });
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("safetensors", "reference.safetensors")), File.ReadAllBytes(dir["ours.safetensors"]));
    }

    [Fact]
    public void RoundTripsRandomBitPatternsOfEveryDtype()
    {
        using var dir = new Fixtures.TempDir();
        var rng = new Random(7);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, dtype) in Safetensors.DTypes)
        {
            var raw = new byte[5 * 7 * Safetensors.ElementSize(dtype)];
            rng.NextBytes(raw);
            if (dtype == ScalarType.Bool) raw = raw.Select(b => (byte)(b & 1)).ToArray();
            tensors[name] = FromBytes(dtype, [5, 7], raw);
        }
        Safetensors.Write(dir["w.safetensors"], tensors);
        using var file = new SafetensorsFile(dir["w.safetensors"]);
        Assert.Empty(file.Metadata);
        foreach (var (name, t) in tensors)
        {
            using var back = file.Read(name);
            Assert.Equal(Hex(t), Hex(back));
        }
        var bytes = File.ReadAllBytes(dir["w.safetensors"]);
        Assert.Equal(0UL, (BinaryPrimitives.ReadUInt64LittleEndian(bytes) + 8) % 8);
    }

    [Fact]
    public void ConvertsOnRead()
    {
        using var dir = new Fixtures.TempDir();
        Safetensors.Write(dir["h.safetensors"], new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 0.5f, -2f, 1f / 3 }).half() });
        using var file = new SafetensorsFile(dir["h.safetensors"]);
        using var x = file.Read("x", ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, x.dtype);
        Assert.Equal(new[] { 0.5f, -2f, (float)(Half)(1f / 3) }, x.data<float>().ToArray());
    }

    static byte[] Crafted(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "not well-formed JSON")]
    [InlineData("[1,2]", 0, "not a JSON object")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "tensor \"a\": shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8")]
    [InlineData("{\"a\":{\"dtype\":\"F8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "tensor \"a\": dtype must be one of")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "tensor \"a\": shape must be")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6, "tensor \"b\" starts at data offset 4, expected 2")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}", 3, "tensor \"b\" starts at data offset 1, expected 2")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}", 5, "has 5 data bytes but its tensors cover 8 (file truncated?)")]
    [InlineData("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 3, "has 3 data bytes but its tensors cover 2")]
    [InlineData("{\"__metadata__\":{\"n\":1}}", 0, "metadata \"n\" that is not a string")]
    public void MalformedHeaderNamesFileAndProblem(string header, int dataBytes, string expected)
    {
        using var dir = new Fixtures.TempDir();
        File.WriteAllBytes(dir["bad.safetensors"], Crafted(header, dataBytes));
        var ex = Assert.Throws<CheckpointFormatException>(() => new SafetensorsFile(dir["bad.safetensors"]));
        Assert.Contains(dir["bad.safetensors"], ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void TruncatedOrForeignFileIsRejected()
    {
        using var dir = new Fixtures.TempDir();
        var good = File.ReadAllBytes(Fixtures.Path("safetensors", "reference.safetensors"));
        File.WriteAllBytes(dir["cut.safetensors"], good[..^3]);
        Assert.Contains("file truncated?", Assert.Throws<CheckpointFormatException>(() => new SafetensorsFile(dir["cut.safetensors"])).Message);
        File.WriteAllBytes(dir["cut2.safetensors"], good[..100]);
        Assert.Contains("not a safetensors file, or truncated", Assert.Throws<CheckpointFormatException>(() => new SafetensorsFile(dir["cut2.safetensors"])).Message);
        // A zip (the layout of torch.save) misread as safetensors.
        File.WriteAllBytes(dir["zip.safetensors"], [.. "PK\x03\x04"u8, .. new byte[60]]);
        Assert.Contains("not a safetensors file", Assert.Throws<CheckpointFormatException>(() => new SafetensorsFile(dir["zip.safetensors"])).Message);
        File.WriteAllBytes(dir["tiny.safetensors"], [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<CheckpointFormatException>(() => new SafetensorsFile(dir["tiny.safetensors"])).Message);
    }

    [Theory]
    [InlineData("model.ckpt")]
    [InlineData("pytorch_model.bin")]
    [InlineData("weights.PT")]
    [InlineData("dpt_large.pth")]
    public void PickleCheckpointsAreRefusedUnopened(string name)
    {
        using var dir = new Fixtures.TempDir();
        var path = dir[name];
        File.WriteAllBytes(path, File.ReadAllBytes(Fixtures.Path("safetensors", "reference.safetensors")));
        var ex = Assert.Throws<CheckpointFormatException>(() => new SafetensorsFile(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("arbitrary code", ex.Message);
        Assert.Contains("safetensors.torch import save_file", ex.Message);
        Assert.Throws<CheckpointFormatException>(() => ModuleWeights.Load(nn.Linear(2, 2), path));
    }
}
