using System.Runtime.CompilerServices;
using System.Text.Json;
using static TorchSharp.torch;

namespace Vidiff.Tests.Nn.Parity;

/// <summary>Reads diffusers_parity.json (made by diffusers_parity.py) and fills weights exactly as that script does.</summary>
static class DiffusersParity
{
    static string Here([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    public static JsonElement Fixture(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Here(), "diffusers_parity.json"))).RootElement.GetProperty(name);

    public static Tensor Tensor(JsonElement fixture, string name)
    {
        var e = fixture.GetProperty(name);
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        return tensor(e.GetProperty("data").EnumerateArray().Select(x => x.GetSingle()).ToArray()).reshape(shape);
    }

    public static Dictionary<string, long[]> Shapes(JsonElement fixture) =>
        fixture.GetProperty("parameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(x => x.GetInt64()).ToArray());

    /// <summary>p[i] = a·sin(0.37·i + phase(name)), as fill() in diffusers_parity.py; parameters diffusers lacks are left alone.</summary>
    public static void Fill(nn.Module model, ISet<string> names)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!names.Contains(name)) continue;
            double phase = name.Select((c, j) => (j + 1) * (long)c).Sum() % 1000 / 100.0;
            var s = sin(0.37 * arange(p.numel(), dtype: float64) + phase).reshape(p.shape);
            var v = p.dim() >= 2 ? Math.Sqrt(3.0 / (p.numel() / p.shape[0])) * s : name.EndsWith("weight") ? 1 + 0.1 * s : 0.1 * s;
            p.copy_(v.to(float32));
        }
    }
}
