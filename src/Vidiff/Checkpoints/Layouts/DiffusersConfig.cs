using System.Text.Json;
using Vidiff.Autoencoder;
using Vidiff.Diffusion;
using Vidiff.Unet;

namespace Vidiff.Checkpoints.Layouts;

/// <summary>Our config records from the config.json of a diffusers folder's <c>unet/</c> and <c>vae/</c>.</summary>
public static class DiffusersConfig
{
    /// <summary>UNet2DConditionModel's config. As in diffusers, <c>attention_head_dim</c> is the head count unless <c>num_attention_heads</c> is set.</summary>
    public static UnetConfig Unet(string configPath) => Parse(configPath, c =>
    {
        var channels = Ints(c, "block_out_channels", configPath);
        var transformers = c.GetProperty("down_block_types").EnumerateArray().Select(t => t.GetString()!.Contains("CrossAttn", StringComparison.Ordinal)).ToArray();
        int levels = channels.Length;
        var heads = Optional(c, "num_attention_heads") is { } nh ? PerLevel(nh, levels) : PerLevel(c.GetProperty("attention_head_dim"), levels);
        var depths = PerLevel(Optional(c, "transformer_layers_per_block"), levels).Distinct().ToArray();
        if (depths.Length != 1) throw new InvalidDataException($"{configPath}: transformer_layers_per_block [{string.Join(", ", depths)}] differs between levels; ours has one depth");
        int inCh = c.GetProperty("in_channels").GetInt32(), outCh = c.GetProperty("out_channels").GetInt32();
        // One head count everywhere (SD 1.x) or one head width everywhere (SD 2.x's per-level counts).
        bool sameHeads = heads.Distinct().Count() == 1;
        var widths = channels.Zip(heads, (ch, h) => ch / h).Distinct().ToArray();
        if (!sameHeads && widths.Length != 1)
            throw new InvalidDataException($"{configPath}: attention heads [{string.Join(", ", heads)}] are neither one count nor one width per head for channels [{string.Join(", ", channels)}]");
        return new UnetConfig(channels, transformers, LayersPerBlock: c.GetProperty("layers_per_block").GetInt32(),
            LatentChannels: outCh, StructureChannels: Math.Max(1, inCh - outCh), OutChannels: outCh,
            AttentionHeads: heads[0], AttentionHeadDim: sameHeads ? null : widths[0], TransformerDepth: depths[0],
            ContentDim: c.GetProperty("cross_attention_dim").GetInt32(),
            LinearProjection: Optional(c, "use_linear_projection")?.GetBoolean() ?? false,
            NormGroups: Optional(c, "norm_num_groups")?.GetInt32() ?? 32);
    });

    /// <summary>AutoencoderKL's config.</summary>
    public static AutoencoderConfig Autoencoder(string configPath) => Parse(configPath, c =>
        new AutoencoderConfig(Ints(c, "block_out_channels", configPath), c.GetProperty("layers_per_block").GetInt32(),
            c.GetProperty("latent_channels").GetInt32(), Optional(c, "norm_num_groups")?.GetInt32() ?? 32,
            Optional(c, "scaling_factor")?.GetDouble() ?? 0.18215, c.GetProperty("in_channels").GetInt32()));

    /// <summary>The latent size the UNet was trained at (<c>sample_size</c>), if its config says.</summary>
    public static int? SampleSize(string configPath) => Parse(configPath, c => Optional(c, "sample_size") is { ValueKind: JsonValueKind.Number } n ? n.GetInt32() : (int?)null);

    /// <summary>
    /// The noise process and parameterization of a pipeline's <c>scheduler/scheduler_config.json</c> (any diffusers
    /// scheduler: DDIM, PNDM, Euler… share these fields; their defaults are DDPM's linear 1e-4..0.02 and ε).
    /// </summary>
    public static (ModelConfig.NoiseProcess Schedule, Parameterization Parameterization) Scheduler(string configPath) => Parse(configPath, c =>
    {
        var kind = (Optional(c, "beta_schedule")?.GetString() ?? "linear") switch
        {
            "linear" => ModelConfig.ScheduleKind.Linear,
            "scaled_linear" => ModelConfig.ScheduleKind.ScaledLinear,
            "squaredcos_cap_v2" => ModelConfig.ScheduleKind.Cosine,
            var other => throw new InvalidDataException($"{configPath}: beta_schedule \"{other}\" is not supported (linear, scaled_linear, squaredcos_cap_v2)"),
        };
        var parameterization = (Optional(c, "prediction_type")?.GetString() ?? "epsilon") switch
        {
            "epsilon" => Parameterization.Epsilon,
            "v_prediction" => Parameterization.V,
            var other => throw new InvalidDataException($"{configPath}: prediction_type \"{other}\" is not supported (epsilon, v_prediction)"),
        };
        return (new ModelConfig.NoiseProcess(kind, Optional(c, "num_train_timesteps")?.GetInt32() ?? 1000,
            Optional(c, "beta_start")?.GetDouble() ?? 0.0001, Optional(c, "beta_end")?.GetDouble() ?? 0.02), parameterization);
    });

    /// <summary>Reads <paramref name="configPath"/>, naming it if a field the record needs is absent.</summary>
    static T Parse<T>(string configPath, Func<JsonElement, T> read)
    {
        using var doc = Read(configPath);
        try
        {
            return read(doc.RootElement);
        }
        catch (KeyNotFoundException)
        {
            throw new InvalidDataException($"{configPath} lacks a field diffusers always writes (block_out_channels, down_block_types, layers_per_block, in_channels, out_channels, cross_attention_dim, latent_channels); not a diffusers config?");
        }
    }

    static JsonDocument Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file {path} does not exist (a diffusers folder has one per component)", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {ex.Message}");
        }
    }

    static JsonElement? Optional(JsonElement c, string name) =>
        c.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    static int[] Ints(JsonElement c, string name, string path) =>
        c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(x => x.GetInt32()).ToArray()
            : throw new InvalidDataException($"{path}: \"{name}\" must be a list of integers");

    static int[] PerLevel(JsonElement? v, int levels) => v switch
    {
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray(),
        { ValueKind: JsonValueKind.Number } n => Enumerable.Repeat(n.GetInt32(), levels).ToArray(),
        _ => Enumerable.Repeat(1, levels).ToArray(),
    };
}
