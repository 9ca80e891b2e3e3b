using System.Text.Json;
using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Clip;
using Vidiff.Diffusion;
using Vidiff.Prior;
using Vidiff.Tests.Checkpoints;
using Vidiff.Unet;
using Vidiff.Tests.Cli;
using static TorchSharp.torch;

namespace Vidiff.Tests.Import;

/// <summary>vidiff import builds a model folder: weights files plus vidiff.json, completed run by run, until ModelFolder opens it.</summary>
public sealed class ModelFolderImportTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), $"vidiff-folder-import-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public ModelFolderImportTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A Hugging Face style folder: config.json and a weights file.</summary>
    string Folder(string name, string config, Dictionary<string, Tensor> weights, string weightsName = "model.safetensors")
    {
        var folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), config);
        Safetensors.Write(Path.Combine(folder, weightsName), weights);
        return folder;
    }

    Dictionary<string, Tensor> Forward(string model, string component, Dictionary<string, Tensor> inputs)
    {
        var (inPath, outPath) = (Path.Combine(dir, component + "-in.safetensors"), Path.Combine(dir, component + "-out.safetensors"));
        Safetensors.Write(inPath, inputs);
        CliFixture.VidiffOk("debug", "forward", "--model", model, "--component", component, "--inputs", inPath, "--output", outPath);
        using var result = new SafetensorsFile(outPath);
        return result.Keys.ToDictionary(k => k, k => result.Read(k));
    }

    static string Json<T>(T value) => JsonSerializer.Serialize(value);

    const string TinyText = """
        {"architectures": ["CLIPTextModelWithProjection"], "model_type": "clip_text_model", "projection_dim": 24, "vocab_size": 99,
         "max_position_embeddings": 16, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "eos_token_id": 98}
        """;

    const string TinyVision = """
        {"architectures": ["CLIPVisionModelWithProjection"], "model_type": "clip_vision_model", "projection_dim": 24, "image_size": 32,
         "patch_size": 8, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
        """;

    /// <summary>
    /// transformers' CLIPTextModelWithProjection and CLIPVisionModelWithProjection imported one at a time (tiny_clip.safetensors
    /// is their two state dicts, made by tools/fixtures/make_clip_prior_fixtures.py): each tower alone reproduces the
    /// reference embeddings, and the second completes the folder's CLIP.
    /// </summary>
    [Fact]
    public void ClipTowersImportOneAtATime()
    {
        Dictionary<string, Tensor> Tower(params string[] prefixes)
        {
            using var file = new SafetensorsFile(Fixtures.Path("clip", "tiny_clip.safetensors"));
            return file.Keys.Where(k => prefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToDictionary(k => k, k => file.Read(k));
        }
        var model = Path.Combine(dir, "model");
        using var io = new SafetensorsFile(Fixtures.Path("clip", "tiny_clip_io.safetensors"));

        // SD 1.x's CLIPTextModel has no projection: into a folder with none to keep, refused.
        var bare = Folder("bare_text", TinyText, Tower("text_model."));
        var (code, output) = CliFixture.VidiffOutput("import", "--from", "clip", bare, "--into", model);
        Assert.Equal(1, code);
        Assert.Contains("has no text_projection.weight", output);
        Assert.False(File.Exists(Path.Combine(model, ModelFolder.ConfigFile)));

        output = CliFixture.VidiffOk("import", "--from", "clip", Folder("text", TinyText, Tower("text_model.", "text_projection.")), "--into", model);
        Assert.Contains("the other tower is still to import", output);
        Assert.Equal(Json(ClipConfig.Tiny.Text), Json(ModelFolder.ReadConfig(model).Clip.Text));
        var text = Forward(model, "clip-text", new() { ["input_ids"] = io.Read("input_ids") });
        Fixtures.AssertClose(io.Read("text_embeds"), text["text_embeds"]);
        Fixtures.AssertClose(io.Read("text_last_hidden_state"), text["last_hidden_state"]);

        output = CliFixture.VidiffOk("import", "--from", "clip", Folder("vision", TinyVision, Tower("vision_model.", "visual_projection.")), "--into", model);
        Assert.Contains("the other tower kept", output);
        var mean = tensor(new[] { 0.48145466f, 0.4578275f, 0.40821073f }).view(1, 3, 1, 1);
        var std = tensor(new[] { 0.26862954f, 0.26130258f, 0.27577711f }).view(1, 3, 1, 1);
        var vision = Forward(model, "clip-vision", new() { ["pixel_values"] = ((io.Read("frames") + 1) / 2 - mean) / std });
        Fixtures.AssertClose(io.Read("image_embeds"), vision["image_embeds"]);

        // Both towers now: the whole CLIPModel loads strictly, and the text tower still gives the reference.
        var config = ModelFolder.ReadConfig(model);
        Assert.Equal(Json(ClipConfig.Tiny), Json(config.Clip));
        using var clip = new ClipModel(config.Clip);
        ModuleWeights.Load(clip, Path.Combine(model, ModelFolder.ClipFile));
        clip.eval();
        using (no_grad()) Fixtures.AssertClose(io.Read("text_embeds"), clip.EncodeText(io.Read("input_ids")));

        // Now a bare text tower keeps the folder's projection.
        CliFixture.VidiffOk("import", "--from", "clip", bare, "--into", model);
        Fixtures.AssertClose(io.Read("text_embeds"), Forward(model, "clip-text", new() { ["input_ids"] = io.Read("input_ids") })["text_embeds"]);
    }

    /// <summary>
    /// Every component of a consistent tiny model, written in the public layouts (a diffusers pipeline with unet/, vae/,
    /// prior/, text_encoder/, image_encoder/, tokenizer/ and scheduler/; a transformers DPT folder), imported into a fresh
    /// folder in two runs: ModelFolder then opens it, and debug forward reproduces the source networks.
    /// </summary>
    [Fact]
    public void ImportedComponentsMakeALoadableFolder()
    {
        var tokenizer = ClipTokenizer.Load(Fixtures.Path("tokenizer"));
        var tiny = ModelConfig.Tiny(tokenizer.VocabSize, tokenizer.EndId);
        manual_seed(5);
        using var unet = new SpatioTemporalUnet(tiny.Unet);
        using var vae = new AutoencoderKL(tiny.Autoencoder);
        using var prior = new PriorTransformer(tiny.Prior);
        using var clip = new ClipModel(tiny.Clip);
        unet.eval();
        clip.eval();

        var pipeline = Path.Combine(dir, "pipeline");
        var unetState = unet.state_dict();
        var spatial = ImageModelImport.SpatialKeys(unet).ToDictionary(k => k, k => unetState[k]);
        spatial["conv_in.weight"] = unetState["conv_in.weight"].narrow(1, 0, 4).contiguous(); // an image UNet: no structure channel
        Folder("pipeline/unet", """
            {"_class_name": "UNet2DConditionModel", "block_out_channels": [16, 32], "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
             "layers_per_block": 1, "in_channels": 4, "out_channels": 4, "attention_head_dim": 2, "cross_attention_dim": 32, "norm_num_groups": 8, "sample_size": 8}
            """, spatial, ImageModelImport.DiffusersWeights);
        Folder("pipeline/vae", """
            {"_class_name": "AutoencoderKL", "block_out_channels": [16, 32], "layers_per_block": 1, "latent_channels": 4, "norm_num_groups": 8, "in_channels": 3, "scaling_factor": 0.5}
            """, vae.state_dict(), ImageModelImport.DiffusersWeights);
        Folder("pipeline/prior", """
            {"_class_name": "PriorTransformer", "num_attention_heads": 2, "attention_head_dim": 8, "num_layers": 2, "embedding_dim": 32, "num_embeddings": 16}
            """, prior.state_dict(), ImageModelImport.DiffusersWeights);
        var clipState = clip.state_dict();
        Dictionary<string, Tensor> Keys(string a, string b) => clipState.Where(kv => kv.Key.StartsWith(a, StringComparison.Ordinal) || kv.Key.StartsWith(b, StringComparison.Ordinal)).ToDictionary();
        Folder("pipeline/text_encoder", $$"""
            {"model_type": "clip_text_model", "projection_dim": 32, "vocab_size": {{tokenizer.VocabSize}}, "max_position_embeddings": 16,
             "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "eos_token_id": {{tokenizer.EndId}}}
            """, Keys("text_model.", "text_projection."));
        Folder("pipeline/image_encoder", TinyVision.Replace("\"projection_dim\": 24", "\"projection_dim\": 32"), Keys("vision_model.", "visual_projection."));
        Directory.CreateDirectory(Path.Combine(pipeline, "tokenizer"));
        foreach (var name in new[] { "vocab.json", "merges.txt" }) File.Copy(Fixtures.Path("tokenizer", name), Path.Combine(pipeline, "tokenizer", name));
        Directory.CreateDirectory(Path.Combine(pipeline, "scheduler"));
        File.WriteAllText(Path.Combine(pipeline, "scheduler", "scheduler_config.json"), """
            {"_class_name": "DDIMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "num_train_timesteps": 1000, "prediction_type": "v_prediction"}
            """);

        var model = Path.Combine(dir, "model");
        var output = CliFixture.VidiffOk("import", "--from", "diffusers", pipeline, "--into", model);
        Assert.Contains("still missing depth.safetensors", output);
        Assert.Throws<FileNotFoundException>(() => ModelFolder.Load(model));

        string dptConfig;
        using (var weights = new SafetensorsFile(Fixtures.Path("depth", "dpt_tiny.safetensors"))) dptConfig = weights.Metadata["config"];
        var dpt = Path.Combine(dir, "dpt");
        Directory.CreateDirectory(dpt);
        File.WriteAllText(Path.Combine(dpt, "config.json"), dptConfig);
        File.Copy(Fixtures.Path("depth", "dpt_tiny.safetensors"), Path.Combine(dpt, "model.safetensors"));
        Assert.Contains("the folder is complete", CliFixture.VidiffOk("import", "--from", "dpt", dpt, "--into", model));

        using (var folder = ModelFolder.Load(model))
        {
            var config = folder.Config;
            Assert.Equal(Parameterization.V, config.Parameterization);
            Assert.Equal(new ModelConfig.NoiseProcess(ModelConfig.ScheduleKind.ScaledLinear), config.Schedule);
            Assert.Equal((16, 16), (config.Width, config.Height)); // sample_size 8 × the autoencoder's stride 2
            Assert.Equal(0.5, config.LatentScale);
            Assert.Equal(ModelConfig.PriorKind.Diffusion, config.PriorType);
            Assert.Equal(Json(tiny.Clip), Json(config.Clip));
            Assert.Equal(Json(tiny.Prior with { SamplingSteps = 25 }), Json(config.Prior));
            Assert.Equal(tokenizer.Encode("a red cube"), folder.Tokenizer.Encode("a red cube"));
        }

        // inspect checks a folder's file against its section of vidiff.json.
        Assert.Contains("unet: every key matches", CliFixture.VidiffOk("inspect", Path.Combine(model, ModelFolder.UnetFile)));

        manual_seed(6);
        var latents = randn(2, 4, 8, 8);
        var timesteps = tensor(new[] { 10f, 700f });
        var content = randn(2, 1, 32);
        var ids = tensor(tokenizer.Encode("a red cube", 16)).view(1, 16).to(int64);
        var outputs = Forward(model, "unet", new() { ["latents"] = latents, ["timesteps"] = timesteps, ["content"] = content });
        using (no_grad())
        {
            var expected = unet.forward(latents.unsqueeze(2), zeros([2, 1, 1, 8, 8]), timesteps, content).squeeze(2);
            Fixtures.AssertClose(expected, outputs["output"]);
            Fixtures.AssertClose(clip.EncodeText(ids), Forward(model, "clip-text", new() { ["input_ids"] = ids })["text_embeds"]);
        }
    }
}
