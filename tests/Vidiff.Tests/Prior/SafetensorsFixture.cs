using Vidiff.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Prior;

/// <summary>The parity fixtures under tests/fixtures, found from the test binaries' folder.</summary>
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
        using var file = new SafetensorsFile(PathOf(relative));
        return file.Keys.ToDictionary(k => k, k => file.Read(k));
    }

    /// <summary>Strict load: the fixture's keys and the module's state keys must be the same set (the public layout).</summary>
    public static void LoadInto(nn.Module module, string relative) => ModuleWeights.Load(module, PathOf(relative));
}
