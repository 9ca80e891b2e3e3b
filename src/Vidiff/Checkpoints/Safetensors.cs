using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints;

/// <summary>
/// Writes the safetensors format: 8-byte little-endian header length, a JSON header
/// (per key: dtype, shape, data_offsets; plus "__metadata__") padded with spaces to 8 bytes, then raw little-endian data.
/// </summary>
public static class Safetensors
{
    internal static readonly IReadOnlyDictionary<string, ScalarType> DTypes = new Dictionary<string, ScalarType>
    {
        ["F64"] = ScalarType.Float64,
        ["F32"] = ScalarType.Float32,
        ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64,
        ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16,
        ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte,
        ["BOOL"] = ScalarType.Bool,
    };

    internal static string Name(ScalarType type) =>
        DTypes.FirstOrDefault(kv => kv.Value == type).Key ?? throw new ArgumentException($"safetensors has no dtype for {type}");

    internal static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var keys = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        var header = Header(keys.Select(k => (k, tensors[k])), metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var key in keys)
            {
                using var cpu = tensors[key].detach().cpu().contiguous();
                if (cpu.numel() > 0) stream.Write(cpu.bytes);
            }
        });
    }

    static byte[] Header(IEnumerable<(string Key, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (key, tensor) in entries)
            {
                if (key == "__metadata__") throw new ArgumentException("\"__metadata__\" is reserved and cannot name a tensor");
                long size = tensor.numel() * ElementSize(tensor.dtype);
                w.WriteStartObject(key);
                w.WriteString("dtype", Name(tensor.dtype));
                w.WriteStartArray("shape");
                foreach (var d in tensor.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        // Pad with spaces so the data starts 8-byte aligned, as the reference implementation does.
        int padded = (int)((json.Length + 7) / 8 * 8);
        var header = Enumerable.Repeat((byte)' ', padded).ToArray();
        json.ToArray().CopyTo(header, 0);
        return header;
    }
}
