using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Prior;
using Vidiff.Tests.Checkpoints;
using Vidiff.Tests.Cli;
using static TorchSharp.torch;

namespace Vidiff.Tests.Import;

/// <summary>
/// CLIP, DPT / Depth Anything and the prior imported from Hugging Face folders (config.json + weights, the reference fixtures
/// of tests/fixtures/{clip,depth,prior}) through vidiff import, then run by vidiff debug forward on the reference inputs.
/// </summary>
public sealed class PretrainedImportTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"vidiff-pretrained-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public PretrainedImportTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A Hugging Face style folder: config.json and the fixture's weights under <paramref name="weightsName"/>.</summary>
    string Folder(string name, string config, string fixture, string weightsName)
    {
        var folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), config);
        File.Copy(Fixtures.Path(fixture.Split('/')), Path.Combine(folder, weightsName));
        return folder;
    }

    Dictionary<string, Tensor> Forward(string from, string folder, string component, Dictionary<string, Tensor> inputs)
    {
        var model = Path.Combine(dir, "model");
        CliFixture.VidiffOk("import", "--from", from, folder, "--into", model);
        var (inPath, outPath) = (Path.Combine(dir, component + "-in.safetensors"), Path.Combine(dir, component + "-out.safetensors"));
        Safetensors.Write(inPath, inputs);
        CliFixture.VidiffOk("debug", "forward", "--model", model, "--component", component, "--inputs", inPath, "--output", outPath);
        using var result = new SafetensorsFile(outPath);
        return result.Keys.ToDictionary(k => k, k => result.Read(k));
    }

    static string Json<T>(T value) => JsonSerializer.Serialize(value);

    [Fact]
    public void ClipFromTransformersConfig()
    {
        // transformers writes only the values that differ from its defaults; these are ClipConfig.Tiny's.
        const string config = """
            {"architectures": ["CLIPModel"], "projection_dim": 24,
             "text_config": {"vocab_size": 99, "max_position_embeddings": 16, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "eos_token_id": 98},
             "vision_config": {"image_size": 32, "patch_size": 8, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}}
            """;
        var folder = Folder("clip", config, "clip/tiny_clip.safetensors", "model.safetensors");
        foreach (var name in new[] { "vocab.json", "merges.txt" }) File.Copy(Fixtures.Path("tokenizer", name), Path.Combine(folder, name));
        Assert.Equal(Json(ClipConfig.Tiny), Json(TransformersConfig.Clip(Path.Combine(folder, "config.json"))));

        using var io = new SafetensorsFile(Fixtures.Path("clip", "tiny_clip_io.safetensors"));
        var text = Forward("clip", folder, "clip-text", new() { ["input_ids"] = io.Read("input_ids") });
        Fixtures.AssertClose(io.Read("text_last_hidden_state"), text["last_hidden_state"]);
        Fixtures.AssertClose(io.Read("text_embeds"), text["text_embeds"]);
        // The tokenizer beside the weights lands in the model folder's tokenizer/, unchanged.
        var reference = ClipTokenizer.Load(folder);
        var imported = ClipTokenizer.Load(Path.Combine(dir, "model", "tokenizer"));
        const string caption = "A dog, running on the beach at sunset!";
        Assert.Equal(reference.Encode(caption), imported.Encode(caption));
    }

    [Theory]
    [InlineData("dpt_tiny", "32")]
    [InlineData("depth_anything_tiny", "28x42")]
    public void DepthFromTransformersConfig(string name, string size)
    {
        string config;
        using (var weights = new SafetensorsFile(Fixtures.Path("depth", name + ".safetensors"))) config = weights.Metadata["config"];
        var folder = Folder(name, config, $"depth/{name}.safetensors", "model.safetensors");
        using var io = new SafetensorsFile(Fixtures.Path("depth", name + "_io.safetensors"));
        var outputs = Forward("dpt", folder, "depth", new() { ["pixel_values"] = io.Read($"pixel_values_{size}") });
        Fixtures.AssertClose(io.Read($"predicted_depth_{size}"), outputs["predicted_depth"]);
    }

    [Fact]
    public void DptHybridFromTransformersFolder()
    {
        var folder = Fixtures.Path("depth", "dpt_hybrid_tiny");
        var config = TransformersConfig.Depth(Path.Combine(folder, "config.json"));
        // The file leaves out what equals DPTConfig's defaults: patch size, epsilon, preprocessing.
        Assert.Equal(DptBackbone.VitHybrid, config.Backbone);
        Assert.Equal((64, 16, 1e-12, 32), (config.ImageSize, config.PatchSize, config.LayerNormEps, config.ResizeMultiple));
        Assert.Equal([0.5f, 0.5f, 0.5f], config.Std);
        Assert.Equal(Json(new BitConfig(8, [16, 32, 48], [2, 1, 1], [1, 2, 3], 4, true, true)), Json(config.Bit));

        using var io = new SafetensorsFile(Fixtures.Path("depth", "dpt_hybrid_tiny_io.safetensors"));
        var outputs = Forward("dpt", folder, "depth", new() { ["pixel_values"] = io.Read("pixel_values_48") });
        Fixtures.AssertClose(io.Read("predicted_depth_48"), outputs["predicted_depth"]);
    }

    [Fact]
    public void DptHybridWithoutBackboneConfigIsMidasResNet50()
    {
        // DPTConfig(is_hybrid=True) alone: its default BiT (depths [3, 4, 9], "SAME") over BitConfig's defaults.
        var folder = Path.Combine(dir, "hybrid-defaults");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"is_hybrid": true, "neck_hidden_sizes": [256, 512, 768, 768]}""");
        var config = TransformersConfig.Depth(Path.Combine(folder, "config.json"));
        Assert.Equal(Json(new BitConfig(64, [256, 512, 1024], [3, 4, 9], [1, 2, 3], 32, true, true)), Json(config.Bit));
        Assert.Equal([2, 5, 8, 11], config.OutLayers);
        Assert.Equal((384, 16, 768, 12), (config.ImageSize, config.PatchSize, config.HiddenSize, config.Layers));
    }

    [Theory]
    [InlineData("\"layer_type\": \"preactivation\"", "layer_type \"bottleneck\"")]
    [InlineData("\"layer_type\": \"bottleneck\", \"global_padding\": \"valid\"", "global_padding")]
    [InlineData("\"layer_type\": \"bottleneck\", \"out_features\": [\"stage3\"]", "3 BiT output features")]
    public void DptHybridConfigsWeCannotBuildAreRefusedByName(string backbone, string expected)
    {
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, """{"is_hybrid": true, "backbone_config": {""" + backbone + "}}");
        var e = Assert.Throws<InvalidDataException>(() => TransformersConfig.Depth(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void DptHybridMissingABackboneKeyNamesIt()
    {
        const string key = "dpt.embeddings.backbone.bit.encoder.stages.1.layers.0.downsample.conv.weight";
        var source = Fixtures.Path("depth", "dpt_hybrid_tiny");
        var folder = Path.Combine(dir, "hybrid-broken");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(folder, "config.json"));
        using (var weights = new SafetensorsFile(Path.Combine(source, "model.safetensors")))
            Safetensors.Write(Path.Combine(folder, "model.safetensors"), weights.Keys.Where(k => k != key).ToDictionary(k => k, k => weights.Read(k)));
        var e = Assert.Throws<CheckpointMismatchException>(() => PretrainedImport.Depth(folder));
        Assert.Contains($"missing keys: {key}", e.Message);
    }

    [Fact]
    public void PriorFromDiffusersConfig()
    {
        const string config = """
            {"_class_name": "PriorTransformer", "num_attention_heads": 2, "attention_head_dim": 8, "num_layers": 2, "embedding_dim": 24, "num_embeddings": 16, "additional_embeddings": 4, "dropout": 0.0}
            """;
        var pipeline = Path.Combine(dir, "karlo");
        Directory.CreateDirectory(pipeline);
        var folder = Folder(Path.Combine("karlo", "prior"), config, "prior/tiny_prior.safetensors", ImageModelImport.DiffusersWeights);
        Assert.Equal(Json(PriorConfig.Tiny with { SamplingSteps = 25 }), Json(TransformersConfig.Prior(Path.Combine(folder, "config.json"))));

        using var io = new SafetensorsFile(Fixtures.Path("prior", "tiny_prior_io.safetensors"));
        var outputs = Forward("prior", pipeline, "prior", new()
        {
            ["hidden_states"] = io.Read("x"),
            ["timesteps"] = io.Read("timesteps"),
            ["text_embeds"] = io.Read("text_embed"),
            ["text_hidden_states"] = io.Read("text_hidden"),
            ["text_mask"] = io.Read("text_mask"),
        });
        Fixtures.AssertClose(io.Read("predicted_image_embedding"), outputs["predicted_image_embedding"]);
    }
}
