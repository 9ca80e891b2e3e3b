using Vidiff.Checkpoints;
using Vidiff.Pipelines;
using static TorchSharp.torch;

namespace Vidiff.Tests.Pipelines;

public sealed class EditModelFolderTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("vidiff-model-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    string SaveTiny(string name = "tiny", long seed = 0)
    {
        var dir = Path.Combine(root, name);
        using var model = EditFixtures.TinyModel(seed);
        model.Save(dir);
        return dir;
    }

    [Fact]
    public void ConfigSurvivesJson()
    {
        var config = ModelConfig.Mini(500, 499);
        var json = config.ToJson();
        Assert.Contains("\"window_frames\": 16", json);
        Assert.Contains("\"parameterization\": \"v\"", json);
        Assert.DoesNotContain("in_channels", json); // computed properties are not written
        var back = ModelConfig.FromJson(json, "test");
        Assert.Equal(json, back.ToJson());
        Assert.Equal(config.Unet.BlockChannels, back.Unet.BlockChannels);
        Assert.Equal(config.Defaults, back.Defaults);
    }

    [Fact]
    public void PresetsAreConsistent()
    {
        ModelConfig.Tiny(600, 599).Validate("tiny");
        ModelConfig.Mini(1024, 1023).Validate("mini");
        var sd15 = ModelConfig.Sd15();
        sd15.Validate("sd15");
        Assert.Equal((64, 64), sd15.LatentSize);
        Assert.Equal(50, sd15.Defaults.Steps);
        Assert.Equal(20, ModelConfig.Mini(1024, 1023).Defaults.Steps);
    }

    [Fact]
    public void InconsistentConfigIsRefusedNamingTheFields()
    {
        var json = (ModelConfig.Tiny(99, 98) with { WindowOverlap = 8 }).ToJson();
        var e = Assert.Throws<InvalidDataException>(() => ModelConfig.FromJson(json, "x/vidiff.json"));
        Assert.Equal("x/vidiff.json: expected window_overlap in [0, 7], got 8.", e.Message);
    }

    [Fact]
    public void SavedFolderLoadsToTheSameEdit()
    {
        // The very instance that was saved: building a second one from the same seed would race with tests that
        // draw from the global generator in parallel.
        var dir = Path.Combine(root, "tiny");
        using var original = EditFixtures.TinyModel();
        original.Save(dir);
        Assert.All(ModelFolder.Files, f => Assert.True(File.Exists(Path.Combine(dir, f)), f));
        using var clip = EditFixtures.Clip(3);
        var options = new EditOptions(Prompt: "a cube", Steps: 2, Seed: 5);
        using var loaded = ModelFolder.Load(dir);
        using var a = EditFixtures.Edit(original, clip, options);
        using var b = EditFixtures.Edit(loaded, clip, options);
        Assert.Equal(0f, (a - b).abs().max().item<float>());
    }

    [Fact]
    public void IdentityFollowsTheWeights()
    {
        var a = SaveTiny("a", seed: 0);
        var b = SaveTiny("b", seed: 1);
        string id = ModelFolder.Identity(a);
        Assert.Matches("^[0-9a-f]{64}$", id);
        Assert.Equal(id, ModelFolder.Identity(a)); // from the cache
        Assert.NotEqual(id, ModelFolder.Identity(b));
    }

    [Fact]
    public void MissingComponentIsNamed()
    {
        var dir = SaveTiny();
        File.Delete(Path.Combine(dir, ModelFolder.UnetFile));
        var e = Assert.Throws<FileNotFoundException>(() => ModelFolder.Load(dir));
        Assert.Equal($"Model folder {dir} is missing unet.safetensors.", e.Message);
    }

    [Fact]
    public void MismatchedShapesAreNamedByFileAndKey()
    {
        var dir = SaveTiny();
        // A UNet of other widths saved in place of the real one.
        using (var other = new Vidiff.Unet.SpatioTemporalUnet(Vidiff.Unet.UnetConfig.Tiny with { BlockChannels = [8, 16], ContentDim = 32 }))
            ModuleWeights.Save(other, Path.Combine(dir, ModelFolder.UnetFile));
        var e = Assert.Throws<CheckpointMismatchException>(() => ModelFolder.Load(dir));
        Assert.Contains(Path.Combine(dir, ModelFolder.UnetFile), e.Message);
        Assert.Contains("conv_in.weight: module [16, 5, 3, 3], file [8, 5, 3, 3]", e.Message);
    }

    [Fact]
    public void SaveRefusesAFolderInUse()
    {
        var dir = SaveTiny();
        using var model = EditFixtures.TinyModel();
        Assert.Throws<IOException>(() => model.Save(dir));
        Assert.Empty(Directory.GetDirectories(root, ".*"));
    }
}
