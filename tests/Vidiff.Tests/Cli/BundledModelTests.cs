using System.Text.Json;
using Vidiff.Checkpoints;

namespace Vidiff.Tests.Cli;

/// <summary>The committed mini model (issue 5): `vidiff edit` finds it with no --model, and it fits the size budget.</summary>
public sealed class BundledModelTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-bundled-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static string Repository()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "models", "mini", ModelFolder.ConfigFile))) return d.FullName;
        throw new DirectoryNotFoundException($"No models/mini above {AppContext.BaseDirectory}.");
    }

    [Fact]
    public void EditWithoutModelOptionRunsTheBundledModel()
    {
        var root = Repository();
        var output = Path.Combine(dir, "out.mp4");
        CliFixture.VidiffOk("edit", Path.Combine(root, "samples", "ring-and-ball.mp4"), "-p", "a green ring and a yellow sphere on a purple floor",
            "-o", output, "--max-frames", "4", "--steps", "2");
        Assert.Equal(4, CliFixture.Probe(output).Frames);
        using var settings = JsonDocument.Parse(File.ReadAllText(output + ".json"));
        Assert.Equal(ModelFolder.Identity(Path.Combine(root, "models", "mini")), settings.RootElement.GetProperty("model_identity").GetString());
        Assert.Equal(ModelFolder.ReadConfig(Path.Combine(root, "models", "mini")).Defaults.Guidance, settings.RootElement.GetProperty("guidance").GetDouble());
    }

    // The recipe makes vidiff.json from ModelConfig.Mini, so retraining gives the shipped sampling defaults.
    [Fact]
    public void RecipeConfigHasTheShippedDefaults()
    {
        var shipped = ModelFolder.ReadConfig(Path.Combine(Repository(), "models", "mini"));
        Assert.Equal(shipped.Defaults, ModelConfig.Mini(shipped.Clip.Text.VocabSize, shipped.Clip.Text.EosTokenId).Defaults);
    }

    [Fact]
    public void ShippedFolderIsAtMost40MB()
    {
        var mini = Path.Combine(Repository(), "models", "mini");
        long bytes = ModelFolder.Files.Sum(f => new FileInfo(Path.Combine(mini, f)).Length);
        Assert.InRange(bytes, 1, 40_000_000);
    }
}
