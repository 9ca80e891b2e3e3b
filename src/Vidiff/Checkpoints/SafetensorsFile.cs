using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints;

/// <summary>
/// Reads a safetensors file through a memory map, one tensor at a time, so loading a model needs
/// little more memory than its weights. The header is validated strictly before any tensor is read.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    // Loading a pickle runs whatever code it names; these formats are refused before any byte is read.
    static readonly string[] PickleExtensions = [".ckpt", ".bin", ".pt", ".pth", ".pkl"];
    const long MaxHeader = 100_000_000;

    readonly string path;
    readonly MemoryMappedFile? map;
    readonly MemoryMappedViewAccessor? view;
    readonly byte* data;
    readonly Dictionary<string, SafetensorsEntry> entries;

    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyCollection<string> Keys => entries.Keys;
    public SafetensorsEntry this[string key] => entries.TryGetValue(key, out var e) ? e : throw Error($"has no tensor \"{key}\"");

    public SafetensorsFile(string path)
    {
        this.path = path;
        RefusePickle(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Weights file {path} does not exist", path);
        long length = new FileInfo(path).Length;
        if (length < 8) throw Error($"is {length} bytes long, too short for a safetensors header");

        ulong headerLength;
        using (var stream = File.OpenRead(path))
        {
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeader || (long)headerLength > length - 8)
                throw Error($"declares a {headerLength}-byte header but has {length - 8} bytes after the length prefix; not a safetensors file, or truncated");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            long dataLength = length - 8 - (long)headerLength;
            (entries, Metadata) = ParseHeader(header, dataLength);
            if (dataLength == 0) return;
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        }
        view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        data = start + view.PointerOffset + 8 + (long)headerLength;
    }

    /// <summary>A fresh tensor holding a copy of the stored one, converted to <paramref name="convertTo"/> if given.</summary>
    public Tensor Read(string key, ScalarType? convertTo = null)
    {
        var e = this[key];
        var tensor = empty(e.Shape, e.DType);
        if (e.End > e.Begin) new ReadOnlySpan<byte>(data + e.Begin, checked((int)(e.End - e.Begin))).CopyTo(tensor.bytes);
        if (convertTo is not { } type || type == e.DType) return tensor;
        using (tensor) return tensor.to_type(type);
    }

    public static void RefusePickle(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (!PickleExtensions.Contains(ext)) return;
        throw new CheckpointFormatException(
            $"{path}: refusing to open a pickle checkpoint ({ext}): loading a pickle can run arbitrary code. " +
            "Convert it once to safetensors in a Python you trust, e.g.\n" +
            $"  python -c \"import torch; from safetensors.torch import save_file; sd = torch.load('{Path.GetFileName(path)}', map_location='cpu', weights_only=True); " +
            $"sd = sd.get('state_dict', sd); save_file({{k: v.contiguous() for k, v in sd.items()}}, '{Path.ChangeExtension(Path.GetFileName(path), ".safetensors")}')\"");
    }

    (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(byte[] header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(Encoding.UTF8.GetString(header).TrimEnd(' '));
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw Error($"has a header that is not well-formed JSON: {ex.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Error("has a header that is not a JSON object");
            var found = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) throw Error("has a \"__metadata__\" that is not an object of strings");
                    foreach (var m in p.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw Error($"has metadata \"{m.Name}\" that is not a string");
                    continue;
                }
                if (!found.TryAdd(p.Name, Entry(p.Name, p.Value))) throw Error($"lists tensor \"{p.Name}\" twice");
            }
            // The tensors must tile the data section exactly: no gaps, no overlaps, nothing past the end.
            long expected = 0;
            foreach (var (key, e) in found.OrderBy(kv => kv.Value.Begin).ThenBy(kv => kv.Value.End))
            {
                if (e.Begin != expected) throw Error($"tensor \"{key}\" starts at data offset {e.Begin}, expected {expected} (tensors must be contiguous)");
                expected = e.End;
            }
            if (expected != dataLength)
                throw Error($"has {dataLength} data bytes but its tensors cover {expected}{(expected > dataLength ? " (file truncated?)" : "")}");
            return (found, metadata);
        }
    }

    SafetensorsEntry Entry(string key, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Object) throw Error($"tensor \"{key}\": header entry is not an object");
        if (!v.TryGetProperty("dtype", out var d) || d.ValueKind != JsonValueKind.String || !Safetensors.DTypes.TryGetValue(d.GetString()!, out var dtype))
            throw Error($"tensor \"{key}\": dtype must be one of {string.Join(", ", Safetensors.DTypes.Keys)}");
        if (!v.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array || s.EnumerateArray().Any(x => !x.TryGetInt64(out var n) || n < 0))
            throw Error($"tensor \"{key}\": shape must be an array of non-negative integers");
        if (!v.TryGetProperty("data_offsets", out var o) || o.ValueKind != JsonValueKind.Array || o.GetArrayLength() != 2
            || !o[0].TryGetInt64(out var begin) || !o[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw Error($"tensor \"{key}\": data_offsets must be [begin, end] with 0 <= begin <= end");
        var shape = s.EnumerateArray().Select(x => x.GetInt64()).ToArray();
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, b) => a * b) * Safetensors.ElementSize(dtype));
        }
        catch (OverflowException)
        {
            throw Error($"tensor \"{key}\": shape [{string.Join(", ", shape)}] is too large");
        }
        if (end - begin != bytes)
            throw Error($"tensor \"{key}\": shape [{string.Join(", ", shape)}] of {d.GetString()} needs {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new SafetensorsEntry(dtype, shape, begin, end);
    }

    CheckpointFormatException Error(string what) => new($"Weights file {path} {what}");

    public void Dispose()
    {
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        map?.Dispose();
    }
}
