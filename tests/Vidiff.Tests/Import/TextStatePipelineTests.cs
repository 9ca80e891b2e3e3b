using System.Text.Json.Nodes;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Pipelines;
using Vidiff.Tests.Checkpoints;
using Vidiff.Tests.Cli;
using static TorchSharp.torch;

namespace Vidiff.Tests.Import;

/// <summary>
/// A text-to-image diffusers pipeline folder (a tiny random SD-2-depth: 5-channel UNet, VAE, CLIP text encoder,
/// tokenizer padding with "!", scheduler, DPT; tools/fixtures/make_text_pipeline_fixture.py) imports as a text-state
/// model whose content and UNet call are those of diffusers' StableDiffusionDepth2ImgPipeline.
/// </summary>
public sealed class TextStatePipelineTests : IDisposable
{
    const string Prompt = "a red ball on a blue floor";
    readonly Fixtures.TempDir dir = new();
    static string Pipeline => Fixtures.Path("import", "sd2depth_pipeline");

    public void Dispose() => dir.Dispose();

    string Imported(string? pipeline = null)
    {
        var model = Path.Combine(dir.Root, "model");
        FolderImport.Diffusers(pipeline ?? Pipeline, model, new FolderImport.Options());
        return model;
    }

    /// <summary>A copy of the fixture pipeline to spoil.</summary>
    string Copy()
    {
        var copy = Path.Combine(dir.Root, "pipeline");
        foreach (var file in Directory.EnumerateFiles(Pipeline, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(Pipeline, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }

    [Fact]
    public void ContentAndUnetCallEqualTheReferencePipeline()
    {
        var path = Imported();
        var config = ModelFolder.ReadConfig(path);
        Assert.Equal(ModelConfig.ContentKind.TextStates, config.Content);
        Assert.False(config.TemporalLayersTrained);
        Assert.False(File.Exists(Path.Combine(path, ModelFolder.PriorFile)));

        using var model = ModelFolder.Load(path);
        Assert.Null(model.Prior);
        Assert.Null(model.Clip);
        using var io = new SafetensorsFile(Fixtures.Path("import", "sd2depth_pipeline_io.safetensors"));
        // SD 2's tokenizer pads with "!" (id 0), not the end token.
        Assert.Equal(io.Read("prompt_ids").data<long>().ToArray(), model.Tokenizer.Encode(Prompt, 16).Select(i => (long)i));
        Assert.Equal(io.Read("null_ids").data<long>().ToArray(), model.Tokenizer.Encode("", 16).Select(i => (long)i));

        var pipeline = new EditPipeline(model);
        using var states = pipeline.Content(Prompt, null, seed: 0);
        using var nullStates = pipeline.NullContent();
        Fixtures.AssertClose(io.Read("prompt_states"), states, 1e-5);
        Fixtures.AssertClose(io.Read("null_states"), nullStates, 1e-5);

        // The two frames as one video [1, C, F, h, w]; the temporal layers are the identity, so the video model and the
        // per-frame model both give the image UNet's output on each frame.
        using var _ = no_grad();
        Tensor Video(Tensor frames) => frames.transpose(0, 1).unsqueeze(0);
        using var latents = Video(io.Read("latents"));
        using var depth = Video(io.Read("depth"));
        using var t = io.Read("timestep");
        foreach (bool perFrame in new[] { false, true })
        {
            Fixtures.AssertClose(Video(io.Read("output_prompt")), model.Unet.forward(latents, depth, t, states, perFrame));
            Fixtures.AssertClose(Video(io.Read("output_null")), model.Unet.forward(latents, depth, t, nullStates, perFrame));
        }
    }

    [Fact]
    public void EditsARealClipFromAPromptAndRefusesAnImage()
    {
        using var clips = new CliFixture();
        var model = Path.Combine(dir.Root, "model");
        CliFixture.VidiffOk("import", "--from", "diffusers", Pipeline, "--into", model);
        var output = Path.Combine(dir.Root, "out.mp4");
        CliFixture.VidiffOk("edit", clips.Clip, "-p", Prompt, "--negative", "blurry", "--model", model, "--steps", "2", "-o", output);
        Assert.Equal(CliFixture.Probe(clips.Clip).Frames, CliFixture.Probe(output).Frames);

        var still = Path.Combine(dir.Root, "still.png");
        CliFixture.Ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24", "-frames:v", "1", still);
        var refused = Path.Combine(dir.Root, "refused.mp4");
        var (code, message) = CliFixture.VidiffOutput("edit", clips.Clip, "--image", still, "--model", model, "--steps", "2", "-o", refused);
        Assert.Equal(1, code);
        Assert.Contains("reads text", message);
        Assert.Single(message.Trim().Split('\n'));
        Assert.False(File.Exists(refused));
    }

    [Fact]
    public void RefusesATokenizerThatDoesNotFitTheTextEncoder()
    {
        var pipeline = Copy();
        var configPath = Path.Combine(pipeline, "text_encoder", "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["vocab_size"] = 500;
        File.WriteAllText(configPath, config.ToJsonString());
        var model = Path.Combine(dir.Root, "model");
        var (code, message) = CliFixture.VidiffOutput("import", "--from", "diffusers", pipeline, "--into", model);
        Assert.Equal(1, code);
        Assert.Contains("the tokenizer has 768 tokens", message);
        Assert.Contains("embeds 500", message);
        Assert.False(Directory.Exists(model));
    }

    /// <summary>Older diffusers' attention names in vae/ (query, key, value, proj_attn) import as today's.</summary>
    [Fact]
    public void AutoencoderWithDeprecatedAttentionNamesImportsTheSame()
    {
        var pipeline = Copy();
        var weights = Path.Combine(pipeline, "vae", ImageModelImport.DiffusersWeights);
        Dictionary<string, Tensor> renamed;
        using (var file = new SafetensorsFile(weights))
            renamed = file.Keys.ToDictionary(
                k => k.Replace(".to_q.", ".query.").Replace(".to_k.", ".key.").Replace(".to_v.", ".value.").Replace(".to_out.0.", ".proj_attn."),
                k => file.Read(k));
        Assert.Contains(renamed.Keys, k => k.Contains(".proj_attn.", StringComparison.Ordinal));
        Safetensors.Write(weights, renamed);

        using var current = ImageModelImport.AutoencoderFromDiffusers(Path.Combine(Pipeline, "vae"));
        using var deprecated = ImageModelImport.AutoencoderFromDiffusers(Path.Combine(pipeline, "vae"));
        var expected = current.state_dict();
        foreach (var (key, value) in deprecated.state_dict()) Assert.True(value.equal(expected[key]).all().item<bool>(), key);
    }
}
