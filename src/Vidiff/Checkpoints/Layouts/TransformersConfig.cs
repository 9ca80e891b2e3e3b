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
    /// DPTForDepthEstimation (ViT backbone; DPT-Hybrid's ResNet stem is not implemented) or DepthAnythingForDepthEstimation
    /// (DINOv2 backbone). Preprocessing (resize multiple, mean, std) comes from preprocessor_config.json beside it if present.
    /// </summary>
    public static DptConfig Depth(string configPath)
    {
        var c = Read(configPath);
        var pre = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, "preprocessor_config.json");
        var p = File.Exists(pre) ? Read(pre) : default;
        bool dinov2 = Str(c, "model_type", "dpt") == "depth_anything" || c.TryGetProperty("head_hidden_size", out _);
        if (!dinov2 && c.TryGetProperty("is_hybrid", out var h) && h.ValueKind == JsonValueKind.True)
            throw new InvalidDataException($"{configPath}: DPT-Hybrid (ResNet stem) is not supported; use DPT-Large or Depth Anything");
        float[] Floats(string name, float[] fallback) => p.ValueKind == JsonValueKind.Object && p.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(x => x.GetSingle()).ToArray() : fallback;
        int multiple = p.ValueKind == JsonValueKind.Object ? Int(p, "ensure_multiple_of", 0) : 0;
        var neck = Ints(c, "neck_hidden_sizes", configPath);
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
        return new DptConfig(DptBackbone.Vit, Int(c, "image_size", 384), Int(c, "patch_size", 16), Int(c, "hidden_size", 768),
            Int(c, "num_hidden_layers", 12), Int(c, "num_attention_heads", 12), Int(c, "intermediate_size", 3072),
            Ints(c, "backbone_out_indices", configPath), neck, Int(c, "fusion_hidden_size", 256), Num(c, "layer_norm_eps", 1e-12),
            multiple > 0 ? multiple : 32, Floats("image_mean", [0.5f, 0.5f, 0.5f]), Floats("image_std", [0.5f, 0.5f, 0.5f]));
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

    static string Str(JsonElement c, string name, string fallback) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;

    static int[] Ints(JsonElement c, string name, string path) =>
        c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(x => x.GetInt32()).ToArray()
            : throw new InvalidDataException($"{path}: \"{name}\" must be a list of integers");
}
