using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Tests.Checkpoints;
using Vidiff.Tests.Cli;
using static TorchSharp.torch;

namespace Vidiff.Tests.Import;

/// <summary>vidiff import / inspect / debug forward as a user runs them, on the tiny reference checkpoints.</summary>
public sealed class ImportCommandTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"vidiff-import-cli-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public ImportCommandTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("import/sd1.safetensors", CheckpointLayout.StableDiffusionSingleFile)]
    [InlineData("import/sd2depth_diffusers/unet/diffusion_pytorch_model.safetensors", CheckpointLayout.DiffusersUnet)]
    [InlineData("import/sd1_diffusers/vae/diffusion_pytorch_model.safetensors", CheckpointLayout.DiffusersAutoencoder)]
    [InlineData("clip/tiny_clip.safetensors", CheckpointLayout.TransformersClip)]
    [InlineData("depth/dpt_tiny.safetensors", CheckpointLayout.TransformersDpt)]
    [InlineData("depth/dpt_hybrid_tiny/model.safetensors", CheckpointLayout.TransformersDptHybrid)]
    [InlineData("depth/depth_anything_tiny.safetensors", CheckpointLayout.TransformersDepthAnything)]
    [InlineData("prior/tiny_prior.safetensors", CheckpointLayout.DiffusersPrior)]
    public void DetectsEachLayout(string fixture, CheckpointLayout expected)
    {
        using var file = new SafetensorsFile(Fixtures.Path(fixture.Split('/')));
        Assert.Equal(expected, LayoutDetection.Detect(file));
    }

    [Fact]
    public void InspectNamesTheLayoutAndChecksKeys()
    {
        var (code, output) = CliFixture.VidiffOutput("inspect", Fixtures.Path("import", "sd1.safetensors"), "--norm-groups", "4");
        Assert.True(code == 0, output);
        Assert.Contains("Stable Diffusion single file", output);
        Assert.Contains("model.diffusion_model.middle_block.1.proj_in.weight", output);
        Assert.Contains("UNet: every key matches", output);
        Assert.Contains("autoencoder: every key matches", output);
    }

    [Fact]
    public void InspectListsMissingAndUnexpectedKeys()
    {
        var path = Path.Combine(dir, "broken.safetensors");
        using (var source = new SafetensorsFile(Fixtures.Path("import", "sd1.safetensors")))
            Safetensors.Write(path, source.Keys.Where(k => k != "first_stage_model.decoder.mid.attn_1.q.bias")
                .Select(k => (Key: k.Replace("first_stage_model.encoder.mid.attn_1.k.", "first_stage_model.encoder.mid.attn_1.key."), Tensor: source.Read(k)))
                .ToDictionary(kv => kv.Key, kv => kv.Tensor));
        var (code, output) = CliFixture.VidiffOutput("inspect", path, "--norm-groups", "4");
        Assert.Equal(1, code);
        Assert.Contains("UNet: every key matches", output);
        Assert.Contains("missing keys: first_stage_model.decoder.mid.attn_1.q.bias, first_stage_model.encoder.mid.attn_1.k.bias, first_stage_model.encoder.mid.attn_1.k.weight", output);
        Assert.Contains("unexpected keys: first_stage_model.encoder.mid.attn_1.key.bias, first_stage_model.encoder.mid.attn_1.key.weight", output);
    }

    [Fact]
    public void InspectChecksADptHybridFolderAndNamesAMissingBackboneKey()
    {
        var (code, output) = CliFixture.VidiffOutput("inspect", Fixtures.Path("depth", "dpt_hybrid_tiny", "model.safetensors"));
        Assert.True(code == 0, output);
        Assert.Contains("DPT-Hybrid (ViT on a BiT ResNet)", output);
        Assert.Contains("depth estimator: every key matches", output);

        const string key = "dpt.embeddings.backbone.bit.embedder.norm.bias";
        var folder = Path.Combine(dir, "hybrid");
        Directory.CreateDirectory(folder);
        File.Copy(Fixtures.Path("depth", "dpt_hybrid_tiny", "config.json"), Path.Combine(folder, "config.json"));
        using (var source = new SafetensorsFile(Fixtures.Path("depth", "dpt_hybrid_tiny", "model.safetensors")))
            Safetensors.Write(Path.Combine(folder, "model.safetensors"), source.Keys.Where(k => k != key).ToDictionary(k => k, k => source.Read(k)));
        (code, output) = CliFixture.VidiffOutput("inspect", Path.Combine(folder, "model.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains($"missing keys: {key}", output);
    }

    [Fact]
    public void PickleIsRefusedWithAHint()
    {
        var ckpt = Path.Combine(dir, "model.ckpt");
        File.WriteAllBytes(ckpt, [0x80, 0x02]);
        var (code, output) = CliFixture.VidiffOutput("import", "--from", "sd", ckpt, "--into", Path.Combine(dir, "m"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", output);
        Assert.Contains("arbitrary code", output);
        Assert.Contains("save_file", output);
    }

    [Fact]
    public void ImportedFolderRunsTheReferenceInputs()
    {
        var model = Path.Combine(dir, "model");
        var (code, output) = CliFixture.VidiffOutput("import", "--from", "sd", Fixtures.Path("import", "sd1.safetensors"), "--into", model, "--norm-groups", "4", "--heads", "2");
        Assert.True(code == 0, output);

        using var io = new SafetensorsFile(Fixtures.Path("import", "sd1_io.safetensors"));
        var inputs = Path.Combine(dir, "in.safetensors");
        Safetensors.Write(inputs, new Dictionary<string, Tensor>
        {
            ["latents"] = io.Read("unet.sample"),
            ["timesteps"] = io.Read("unet.timesteps"),
            ["content"] = io.Read("unet.context"),
            ["images"] = io.Read("vae.images"),
        });
        foreach (var (component, name, expected) in new[] { ("unet", "output", "unet.output"), ("autoencoder-encode", "mean", "vae.mean") })
        {
            var outPath = Path.Combine(dir, component + ".safetensors");
            (code, output) = CliFixture.VidiffOutput("debug", "forward", "--model", model, "--component", component, "--inputs", inputs, "--output", outPath);
            Assert.True(code == 0, output);
            using var result = new SafetensorsFile(outPath);
            var diff = (result.Read(name) - io.Read(expected)).abs().max().item<float>();
            Assert.True(diff < 1e-4, $"{component}: max abs diff {diff}");
        }
        (code, output) = CliFixture.VidiffOutput("debug", "forward", "--model", model, "--component", "unet", "--inputs", Fixtures.Path("import", "sd1_io.safetensors"), "--output", Path.Combine(dir, "x.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("has no tensor \"latents\"", output);
    }
}
