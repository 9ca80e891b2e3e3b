using Vidiff.Checkpoints;
using Vidiff.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Prior;

/// <summary>The parity fixtures under tests/fixtures, found from the test binaries' folder.</summary>
static class SafetensorsFixture
{
    public static Dictionary<string, Tensor> Read(string relative)
    {
        using var file = new SafetensorsFile(Fixtures.Path(relative));
        return file.Keys.ToDictionary(k => k, k => file.Read(k));
    }

    /// <summary>Strict load: the fixture's keys and the module's state keys must be the same set (the public layout).</summary>
    public static void LoadInto(nn.Module module, string relative) => ModuleWeights.Load(module, Fixtures.Path(relative));
}
