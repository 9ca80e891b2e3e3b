using static TorchSharp.torch;

namespace Vidiff.Tests.Checkpoints;

/// <summary>Files of the repository (tests/fixtures, the bundled model, samples), found from the test binary by walking up to its root.</summary>
static class Fixtures
{
    public static string Path(params string[] parts) => Repository(["tests", "fixtures", .. parts]);

    public static string Repository(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{string.Join('/', parts)} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The parity bar against a reference implementation: same shape, max abs difference below <paramref name="atol"/>.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double atol = 1e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff < atol, $"max abs difference {diff}");
    }

    /// <summary>A fresh empty directory under the system temp folder, removed on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("vidiff-test-").FullName;
        public string this[string name] => System.IO.Path.Combine(Root, name);
        public void Dispose() => Directory.Delete(Root, recursive: true);
    }
}
