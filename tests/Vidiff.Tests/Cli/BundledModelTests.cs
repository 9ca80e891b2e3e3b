using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Tests.Checkpoints;

namespace Vidiff.Tests.Cli;

/// <summary>The committed mini model (issue 5): `vidiff edit` finds it with no --model, and it fits the size budget.</summary>
public sealed class BundledModelTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-bundled-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static readonly string Mini = Fixtures.Repository("models", "mini");

    [Fact]
    public void EditWithoutModelOptionRunsTheBundledModel()
    {
        var output = Path.Combine(dir, "out.mp4");
        CliFixture.VidiffOk("edit", Fixtures.Repository("samples", "ring-and-ball.mp4"), "-p", "a green ring and a yellow sphere on a purple floor",
            "-o", output, "--max-frames", "4", "--steps", "2");
        Assert.Equal(4, CliFixture.Probe(output).Frames);
        using var settings = JsonDocument.Parse(File.ReadAllText(output + ".json"));
        Assert.Equal(ModelFolder.Identity(Mini), settings.RootElement.GetProperty("model_identity").GetString());
        Assert.Equal(ModelFolder.ReadConfig(Mini).Defaults.Guidance, settings.RootElement.GetProperty("guidance").GetDouble());
    }

    // The recipe makes vidiff.json from ModelConfig.Mini, so retraining gives the shipped sampling defaults.
    [Fact]
    public void RecipeConfigHasTheShippedDefaults()
    {
        var shipped = ModelFolder.ReadConfig(Mini);
        Assert.Equal(shipped.Defaults, ModelConfig.Mini(shipped.Clip.Text.VocabSize, shipped.Clip.Text.EosTokenId).Defaults);
    }

    [Fact]
    public void ShippedFolderIsAtMost40MB()
    {
        long bytes = ModelFolder.Files.Sum(f => new FileInfo(Path.Combine(Mini, f)).Length);
        Assert.InRange(bytes, 1, 40_000_000);
    }
}
