using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Tests.Prior;

/// <summary>
/// Minimal safetensors reading for the parity fixtures (F32, I64, BOOL), until Vidiff.Checkpoints'
/// reader is merged; and loading a fixture's tensors into a module by exact key.
/// </summary>
static class SafetensorsFixture
{
    public static string PathOf(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"Fixture tests/fixtures/{relative} not found above {AppContext.BaseDirectory}.");
    }

    public static Dictionary<string, Tensor> Read(string relative)
    {
        var bytes = File.ReadAllBytes(PathOf(relative));
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var result = new Dictionary<string, Tensor>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var data = bytes.AsSpan((int)(8 + headerLength + offsets[0]), (int)(offsets[1] - offsets[0]));
            result[entry.Name] = entry.Value.GetProperty("dtype").GetString() switch
            {
                "F32" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data).ToArray()).reshape(shape),
                "I64" => tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(data).ToArray()).reshape(shape),
                "BOOL" => tensor(data.ToArray().Select(b => b != 0).ToArray()).reshape(shape),
                var d => throw new NotSupportedException($"Fixture dtype {d} of {entry.Name}"),
            };
        }
        return result;
    }

    /// <summary>Copies every tensor into the module's state by name; the two key sets must be identical.</summary>
    public static void LoadInto(nn.Module module, Dictionary<string, Tensor> weights)
    {
        var state = module.state_dict();
        Assert.Equal(weights.Keys.Order(), state.Keys.Order());
        using var _ = no_grad();
        foreach (var (name, target) in state)
        {
            Assert.Equal(target.shape, weights[name].shape);
            target.copy_(weights[name]);
        }
    }
}
