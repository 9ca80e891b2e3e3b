using System.Text.Json;
using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Prior;

namespace Vidiff.Checkpoints.Layouts;

/// <summary>
/// Our config records from Hugging Face config.json files: transformers' CLIPModel, DPT and Depth Anything, and diffusers'
/// PriorTransformer. transformers omits values equal to its defaults, so those defaults are repeated here.
/// </summary>
public static class TransformersConfig
{
    /// <summary>transformers' CLIPModel (both towers).</summary>
    public static ClipConfig Clip(string configPath)
    {
        var (text, vision, projection, logitScale) = ClipParts(configPath);
        if (text is null || vision is null)
            throw new InvalidDataException($"{configPath}: not a CLIPModel config (needs \"text_config\" and \"vision_config\")");
        return new ClipConfig(text, vision, projection, logitScale);
    }

    /// <summary>
    /// A CLIPModel's config, or one tower's (CLIPTextModel[WithProjection], <c>model_type</c> clip_text_model;
    /// CLIPVisionModel[WithProjection], clip_vision_model), whose values sit at the top level; the absent tower is null.
    /// </summary>
    public static (ClipTextConfig? Text, ClipVisionConfig? Vision, int ProjectionDim, double LogitScaleInit) ClipParts(string configPath)
    {
        var c = Read(configPath);
        var type = Str(c, "model_type", "clip");
        var t = type == "clip_text_model" ? c : c.TryGetProperty("text_config", out var tc) ? tc : default;
        var v = type == "clip_vision_model" ? c : c.TryGetProperty("vision_config", out var vc) ? vc : default;
        if (t.ValueKind != JsonValueKind.Object && v.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{configPath}: not a CLIP config (a CLIPModel with \"text_config\" and \"vision_config\", or one tower with model_type clip_text_model or clip_vision_model)");
        var text = t.ValueKind != JsonValueKind.Object ? null :
            new ClipTextConfig(Int(t, "vocab_size", 49408), Int(t, "max_position_embeddings", 77), Int(t, "hidden_size", 512),
                Int(t, "intermediate_size", 2048), Int(t, "num_hidden_layers", 12), Int(t, "num_attention_heads", 8),
                Str(t, "hidden_act", "quick_gelu"), Int(t, "eos_token_id", 49407), Num(t, "layer_norm_eps", 1e-5));
        var vision = v.ValueKind != JsonValueKind.Object ? null :
            new ClipVisionConfig(Int(v, "image_size", 224), Int(v, "patch_size", 32), Int(v, "hidden_size", 768),
                Int(v, "intermediate_size", 3072), Int(v, "num_hidden_layers", 12), Int(v, "num_attention_heads", 12),
                Str(v, "hidden_act", "quick_gelu"), Num(v, "layer_norm_eps", 1e-5));
        return (text, vision, Int(c, "projection_dim", 512), Num(c, "logit_scale_init_value", 2.6592));
    }

    /// <summary>
    /// DPTForDepthEstimation (ViT backbone, or with is_hybrid the ViT on a BiT ResNet as in MiDaS DPT-Hybrid) or
    /// DepthAnythingForDepthEstimation (DINOv2 backbone). Preprocessing (resize multiple, mean, std) comes from
    /// preprocessor_config.json beside it if present.
    /// </summary>
    public static DptConfig Depth(string configPath)
    {
        var c = Read(configPath);
        var pre = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, "preprocessor_config.json");
        var p = File.Exists(pre) ? Read(pre) : default;
        bool dinov2 = Str(c, "model_type", "dpt") == "depth_anything" || c.TryGetProperty("head_hidden_size", out _);
        bool hybrid = !dinov2 && c.TryGetProperty("is_hybrid", out var h) && h.ValueKind == JsonValueKind.True;
        float[] Floats(string name, float[] fallback) => p.ValueKind == JsonValueKind.Object && p.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(x => x.GetSingle()).ToArray() : fallback;
        int multiple = p.ValueKind == JsonValueKind.Object ? Int(p, "ensure_multiple_of", 0) : 0;
        var neck = Ints(c, "neck_hidden_sizes", configPath, [96, 192, 384, 768]);
        if (dinov2)
        {
            var b = c.GetProperty("backbone_config");
            int hidden = Int(b, "hidden_size", 768);
            // DINOv2's out_indices count the embeddings as stage 0; ours count transformer layers from 0.
            var outLayers = Ints(b, "out_indices", configPath).Select(i => i - 1).ToArray();
            return new DptConfig(DptBackbone.Dinov2, Int(b, "image_size", 518), Int(b, "patch_size", 14), hidden, Int(b, "num_hidden_layers", 12),
                Int(b, "num_attention_heads", 12), (int)(hidden * Num(b, "mlp_ratio", 4)), outLayers, neck, Int(c, "fusion_hidden_size", 64),
                Num(b, "layer_norm_eps", 1e-6), multiple > 0 ? multiple : 14, Floats("image_mean", [0.485f, 0.456f, 0.406f]),
                Floats("image_std", [0.229f, 0.224f, 0.225f]), Int(c, "head_hidden_size", 32));
        }
        return new DptConfig(hybrid ? DptBackbone.VitHybrid : DptBackbone.Vit, Int(c, "image_size", 384), Int(c, "patch_size", 16), Int(c, "hidden_size", 768),
            Int(c, "num_hidden_layers", 12), Int(c, "num_attention_heads", 12), Int(c, "intermediate_size", 3072),
            Ints(c, "backbone_out_indices", configPath, [2, 5, 8, 11]), neck, Int(c, "fusion_hidden_size", 256), Num(c, "layer_norm_eps", 1e-12),
            multiple > 0 ? multiple : 32, Floats("image_mean", [0.5f, 0.5f, 0.5f]), Floats("image_std", [0.5f, 0.5f, 0.5f]),
            Bit: hybrid ? HybridBackbone(c, configPath) : null);
    }

    // DPTConfig's backbone_config when is_hybrid and none is given; keys it leaves out take BitConfig's defaults.
    static readonly JsonElement DefaultHybridBackbone = JsonSerializer.Deserialize<JsonElement>("""
        {"global_padding": "same", "layer_type": "bottleneck", "depths": [3, 4, 9], "out_features": ["stage1", "stage2", "stage3"], "embedding_dynamic_padding": true}
        """);

    /// <summary>DPT-Hybrid's BiT ResNet from backbone_config, with transformers' BitConfig defaults for omitted values.</summary>
    static BitConfig HybridBackbone(JsonElement c, string path)
    {
        string? problem = Str(c, "readout_type", "project") != "project" ? "readout_type \"project\" (the only one DPT-Hybrid has)" :
            !Ints(c, "neck_ignore_stages", path, [0, 1]).SequenceEqual([0, 1]) ? "neck_ignore_stages [0, 1] (the ResNet maps take the first two neck inputs)" : null;
        var b = c.TryGetProperty("backbone_config", out var given) && given.ValueKind == JsonValueKind.Object ? given : DefaultHybridBackbone;
        string padding = Str(b, "global_padding", "").ToUpperInvariant(), layerType = Str(b, "layer_type", "preactivation");
        problem ??= layerType != "bottleneck" ? $"backbone_config.layer_type \"bottleneck\", got \"{layerType}\" (DPT-Hybrid's ResNet)" :
            padding is not ("" or "SAME") ? $"backbone_config.global_padding \"same\" or null, got \"{padding}\"" :
            Str(b, "hidden_act", "relu") != "relu" ? "backbone_config.hidden_act \"relu\"" :
            Int(b, "num_channels", 3) != 3 ? "backbone_config.num_channels 3" : null;
        if (problem is not null) throw new InvalidDataException($"{path}: DPT-Hybrid needs {problem}");

        var depths = Ints(b, "depths", path, [3, 4, 6, 3]);
        var hidden = Ints(b, "hidden_sizes", path, [256, 512, 1024, 2048]);
        double width = Num(b, "width_factor", 1);
        // BiT zips depths with hidden_sizes: the shorter list sets the stage count.
        int stages = Math.Min(depths.Length, hidden.Length);
        // BiT trades stride for dilation once the output stride is reached; DPT-Hybrid's stages never get there.
        int outputStride = Int(b, "output_stride", 32);
        for (int s = 1, stride = 4; s < stages; s++, stride *= 2)
            if (stride >= outputStride)
                throw new InvalidDataException($"{path}: backbone_config.output_stride {outputStride} dilates BiT stage {s + 1}; DPT-Hybrid's ResNet has no dilated stages");
        // Which maps DPT takes: out_indices (0 = stem) or, in older files, out_features by stage name.
        string[] names = ["stem", .. Enumerable.Range(1, stages).Select(i => $"stage{i}")];
        int[] outIndices = b.TryGetProperty("out_indices", out var oi) && oi.ValueKind == JsonValueKind.Array ? Ints(b, "out_indices", path)
            : b.TryGetProperty("out_features", out var of) && of.ValueKind == JsonValueKind.Array
                ? of.EnumerateArray().Select(f => Array.IndexOf(names, f.GetString())).ToArray()
                : [stages];
        if (outIndices.Length != 3 || outIndices.Any(i => i < 0 || i > stages))
            throw new InvalidDataException($"{path}: DPT-Hybrid needs 3 BiT output features among {string.Join(", ", names)}, got backbone_config out_indices [{string.Join(", ", outIndices)}]");
        var bit = new BitConfig(Int(b, "embedding_size", 64), hidden.Take(stages).Select(x => BitConfig.MakeDivisible(x * width)).ToArray(),
            depths.Take(stages).ToArray(), outIndices, Int(b, "num_groups", 32), padding == "SAME", Bool(b, "embedding_dynamic_padding", false));
        var featmap = Ints(c, "backbone_featmap_shape", path, [1, 1024, 24, 24]);
        if (featmap.Length != 4 || featmap[1] != bit.Channels(outIndices[2]))
            throw new InvalidDataException($"{path}: backbone_featmap_shape [{string.Join(", ", featmap)}] must have the {bit.Channels(outIndices[2])} channels of BiT feature map {names[outIndices[2]]}");
        return bit;
    }

    /// <summary>diffusers' PriorTransformer (Karlo / unCLIP).</summary>
    public static PriorConfig Prior(string configPath)
    {
        var c = Read(configPath);
        return new PriorConfig(Int(c, "num_attention_heads", 32), Int(c, "attention_head_dim", 64), Int(c, "num_layers", 20),
            Int(c, "embedding_dim", 768), Int(c, "num_embeddings", 77), Int(c, "additional_embeddings", 4));
    }

    static JsonElement Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file {path} does not exist", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {ex.Message}");
        }
    }

    static int Int(JsonElement c, string name, int fallback) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    static double Num(JsonElement c, string name, double fallback) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    static bool Bool(JsonElement c, string name, bool fallback) => c.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    static string Str(JsonElement c, string name, string fallback) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;

    /// <summary>An integer list, or <paramref name="fallback"/> (transformers' default) when the key is absent.</summary>
    static int[] Ints(JsonElement c, string name, string path, int[]? fallback = null) =>
        c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(x => x.GetInt32()).ToArray()
            : fallback is not null && !c.TryGetProperty(name, out _) ? fallback
            : throw new InvalidDataException($"{path}: \"{name}\" must be a list of integers");
}
