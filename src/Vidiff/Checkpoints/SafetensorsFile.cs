using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints;

/// <summary>
/// Reads a safetensors file one tensor at a time with positioned reads straight into the destination tensor's memory,
/// so loading a model needs its weights plus one small buffer: no file mapping whose pages count as the process's
/// memory, no second copy when converting dtype. The header is validated strictly before any tensor is read.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    // Loading a pickle runs whatever code it names; these formats are refused before any byte is read.
    static readonly string[] PickleExtensions = [".ckpt", ".bin", ".pt", ".pth", ".pkl"];
    const long MaxHeader = 100_000_000;

    /// <summary>Bytes read per call, and the size of the staging buffer when the stored dtype is converted (tests make it small).</summary>
    internal long ChunkBytes { get; init; } = 64L << 20;

    readonly string path;
    readonly SafeFileHandle handle;
    readonly long dataStart;
    readonly Dictionary<string, SafetensorsEntry> entries;

    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyCollection<string> Keys => entries.Keys;
    public SafetensorsEntry this[string key] => entries.TryGetValue(key, out var e) ? e : throw Error($"has no tensor \"{key}\"");

    public SafetensorsFile(string path)
    {
        this.path = path;
        RefusePickle(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Weights file {path} does not exist", path);
        handle = File.OpenHandle(path);
        try
        {
            // The open file's length, not FileInfo's: FileInfo gives a symbolic link's own size (Hugging Face caches
            // link every weights file into its blobs).
            long length = RandomAccess.GetLength(handle);
            if (length < 8) throw Error($"is {length} bytes long, too short for a safetensors header");
            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(0, prefix);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeader || (long)headerLength > length - 8)
                throw Error($"declares a {headerLength}-byte header but has {length - 8} bytes after the length prefix; not a safetensors file, or truncated");
            var header = new byte[headerLength];
            ReadExactly(8, header);
            dataStart = 8 + (long)headerLength;
            (entries, Metadata) = ParseHeader(header, length - dataStart);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A fresh tensor holding a copy of the stored one, converted to <paramref name="convertTo"/> if given.</summary>
    public Tensor Read(string key, ScalarType? convertTo = null)
    {
        var tensor = empty(this[key].Shape, convertTo ?? this[key].DType);
        try
        {
            ReadInto(key, tensor);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Fills <paramref name="target"/> (any shape with the stored element count) with the stored tensor, converted to
    /// the target's dtype chunk by chunk: the memory beside the target is at most one 64 MB buffer.
    /// </summary>
    public void ReadInto(string key, Tensor target)
    {
        var e = this[key];
        long n = e.Shape.Aggregate(1L, (a, b) => a * b);
        if (target.numel() != n)
            throw new ArgumentException($"{path}: tensor \"{key}\" has {n} elements [{string.Join(", ", e.Shape)}], the target {target.numel()} [{string.Join(", ", target.shape)}]");
        if (n == 0) return;
        if (!target.is_contiguous() || target.device_type != TorchSharp.DeviceType.CPU)
        {
            using var copy = Read(key, target.dtype);
            target.copy_(copy.view(target.shape));
            return;
        }
        using var flat = target.view(-1);
        int size = Safetensors.ElementSize(e.DType);
        long per = ChunkBytes / size;
        using var staging = e.DType == target.dtype ? null : empty(Math.Min(per, n), e.DType);
        for (long i = 0; i < n; i += per)
        {
            long m = Math.Min(per, n - i);
            using var part = flat.narrow(0, i, m);
            using var buffer = staging?.narrow(0, 0, m);
            ReadExactly(dataStart + e.Begin + i * size, (buffer ?? part).bytes);
            if (buffer is not null) part.copy_(buffer);
        }
    }

    void ReadExactly(long offset, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int read = RandomAccess.Read(handle, destination, offset);
            if (read == 0) throw Error($"ended at byte {offset} while reading a tensor (file truncated while open?)");
            destination = destination[read..];
            offset += read;
        }
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

    public void Dispose() => handle.Dispose();
}
