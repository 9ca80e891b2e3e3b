using System.Diagnostics;
using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Clip;
using Vidiff.Prior;
using Vidiff.Tests.Checkpoints;
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

    static void Vidiff(params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "vidiff"), args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd() + stderr.Result;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"vidiff {string.Join(' ', args)} exited {p.ExitCode}: {output}");
    }

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
        Vidiff("import", "--from", from, folder, "--into", model);
        var (inPath, outPath) = (Path.Combine(dir, component + "-in.safetensors"), Path.Combine(dir, component + "-out.safetensors"));
        Safetensors.Write(inPath, inputs);
        Vidiff("debug", "forward", "--model", model, "--component", component, "--inputs", inPath, "--output", outPath);
        using var result = new SafetensorsFile(outPath);
        return result.Keys.ToDictionary(k => k, k => result.Read(k));
    }

    static void Close(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max abs diff {diff}");
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
        Close(io.Read("text_last_hidden_state"), text["last_hidden_state"]);
        Close(io.Read("text_embeds"), text["text_embeds"]);
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
        Close(io.Read($"predicted_depth_{size}"), outputs["predicted_depth"]);
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
        Close(io.Read("predicted_image_embedding"), outputs["predicted_image_embedding"]);
    }
}
