using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Customisation;

/// <summary>
/// A LoRA adapter (Hu et al., 2021): low-rank updates ΔW = (α / r) B A of some UNet weights, kept beside the model
/// instead of a second copy of it. Read from the public layouts, all mapped onto our UNet's names (diffusers' own):
/// diffusers/PEFT (<c>unet.M.lora_A.weight</c>, <c>lora_B</c>; also <c>M.lora.down/up</c>), diffusers' older attention
/// processors (<c>M.processor.to_q_lora.down.weight</c>) and kohya's (<c>lora_unet_M_with_underscores.lora_down.weight</c>,
/// <c>lora_up</c>, <c>alpha</c>). <see cref="Apply"/> adds s ΔW to each weight: a scale of 0 leaves the model exactly
/// as it was, and several adapters add up.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    /// <summary>
    /// One low-rank update: W of <paramref name="Target"/> += s · <paramref name="Scaling"/> · Up · Down (flattened for
    /// convolutions); the scaling is α / r (α / √r for rank-stabilised LoRA).
    /// </summary>
    public sealed record Update(string Target, Tensor Down, Tensor Up, double Scaling);

    /// <summary>Metadata keys of the adapters Vidiff writes: the identity and name of the model it was made for.</summary>
    public const string BaseModelKey = "vidiff.base_model", BaseModelNameKey = "vidiff.base_model_name";

    public IReadOnlyList<Update> Updates { get; }

    /// <summary>Tensors for the text encoder (public SD LoRAs often carry some): not applied, Vidiff adapts the UNet.</summary>
    public int TextEncoderTensors { get; }

    LoraAdapter(List<Update> updates, int textEncoderTensors) => (Updates, TextEncoderTensors) = (updates, textEncoderTensors);

    /// <summary>
    /// Reads an adapter file for <paramref name="unet"/>, checking every tensor against it: a file that is not safetensors,
    /// a key that is no LoRA tensor, a target the UNet lacks, a shape that does not fit, or an adapter Vidiff made for
    /// another model (<paramref name="identity"/>, the model folder's) fails with one line naming the file.
    /// </summary>
    public static LoraAdapter Read(string path, SpatioTemporalUnet unet, string modelName, string? identity)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Adapter {path} does not exist.", path);
        using var file = new SafetensorsFile(path);
        if (file.Metadata.TryGetValue(BaseModelKey, out var madeFor) && identity is not null && madeFor != identity)
            throw new InvalidDataException($"Adapter {path} was made for model {file.Metadata.GetValueOrDefault(BaseModelNameKey, "?")} ({madeFor[..12]}), not for {modelName} ({identity[..12]}).");
        var config = PeftConfig(file, path);
        var weights = unet.state_dict();
        // Our module names, and kohya's spelling of them (dots as underscores).
        var modules = weights.Keys.Where(k => k.EndsWith(".weight", StringComparison.Ordinal)).Select(k => k[..^".weight".Length])
            .SelectMany(m => new[] { (m, m), (m.Replace('.', '_'), m) }).DistinctBy(p => p.Item1).ToDictionary(p => p.Item1, p => p.Item2);
        var parts = new Dictionary<string, (string? Down, string? Up, string? Alpha)>();
        int textEncoder = 0;
        foreach (var key in file.Keys)
        {
            if (TextEncoderPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
            {
                textEncoder++;
                continue;
            }
            var (module, part) = Parse(key) ?? throw new InvalidDataException($"Adapter {path}: \"{key}\" is not a LoRA tensor (expected …lora_A/lora_B, …lora.down/up, …_lora.down/up or kohya's lora_unet_…lora_down/lora_up/alpha).");
            var target = modules.GetValueOrDefault(module)
                ?? throw new InvalidDataException($"Adapter {path}: \"{key}\" adapts {module}, which the UNet of model {modelName} does not have: an adapter for another model?");
            var p = parts.GetValueOrDefault(target);
            parts[target] = part switch { Part.Down => p with { Down = key }, Part.Up => p with { Up = key }, _ => p with { Alpha = key } };
        }
        if (parts.Count == 0) throw new InvalidDataException($"Adapter {path} has no UNet LoRA tensors.");
        var updates = new List<Update>();
        try
        {
            foreach (var (target, (down, up, alpha)) in parts.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (down is null || up is null) throw new InvalidDataException($"Adapter {path}: {target} has {(down is null ? "no down (A)" : "no up (B)")} matrix.");
                var w = weights[target + ".weight"];
                long[] d = file[down].Shape, u = file[up].Shape;
                long rank = d.Length > 0 ? d[0] : 0, columns = w.numel() / w.shape[0];
                if (rank == 0 || u.Length < 2 || u[0] != w.shape[0] || u.Aggregate(1L, (x, y) => x * y) != w.shape[0] * rank || d.Aggregate(1L, (x, y) => x * y) != rank * columns)
                    throw new InvalidDataException($"Adapter {path}: {target} is [{string.Join(", ", w.shape)}] in model {modelName}; the adapter's update [{string.Join(", ", u)}] · [{string.Join(", ", d)}] does not fit it: an adapter for another model?");
                double a = config.Alpha(target) ?? rank;
                if (alpha is not null)
                {
                    using var stored = file.Read(alpha, ScalarType.Float32); // kohya's α per module wins
                    a = stored.item<float>();
                }
                updates.Add(new Update(target, file.Read(down, ScalarType.Float32), file.Read(up, ScalarType.Float32), a / (config.RankStabilised ? Math.Sqrt(rank) : rank)));
            }
        }
        catch
        {
            new LoraAdapter(updates, textEncoder).Dispose();
            throw;
        }
        return new LoraAdapter(updates, textEncoder);
    }

    /// <summary>
    /// Adds <paramref name="scale"/> (α / r) B A to each target weight, in place and in the weight's dtype; scale 0 adds
    /// nothing (the model stays bit for bit).
    /// </summary>
    public void Apply(SpatioTemporalUnet unet, double scale)
    {
        if (scale == 0) return;
        using var _ = no_grad();
        var weights = unet.state_dict();
        foreach (var u in Updates)
        {
            using var scope = NewDisposeScope();
            var w = weights[u.Target + ".weight"];
            var delta = u.Up.flatten(1).matmul(u.Down.flatten(1)).reshape(w.shape) * (scale * u.Scaling);
            w.add_(delta.to(w.dtype));
        }
    }

    public void Dispose()
    {
        foreach (var u in Updates)
        {
            u.Down.Dispose();
            u.Up.Dispose();
        }
    }

    enum Part
    {
        Down,
        Up,
        Alpha,
    }

    static readonly string[] TextEncoderPrefixes = ["text_encoder.", "text_encoder_2.", "lora_te_", "lora_te1_", "lora_te2_", "te."];

    static readonly (string Suffix, Part Part)[] Suffixes =
    [
        (".lora_A.weight", Part.Down), (".lora_B.weight", Part.Up), (".lora.down.weight", Part.Down), (".lora.up.weight", Part.Up),
        (".lora_down.weight", Part.Down), (".lora_up.weight", Part.Up), (".alpha", Part.Alpha), ("_lora.down.weight", Part.Down), ("_lora.up.weight", Part.Up),
    ];

    /// <summary>The adapted module (our name, or kohya's with underscores) and which tensor of its update a key holds.</summary>
    static (string Module, Part Part)? Parse(string key)
    {
        foreach (var (suffix, part) in Suffixes)
        {
            if (!key.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var module = key[..^suffix.Length];
            foreach (var prefix in new[] { "lora_unet_", "unet.", "base_model.model." })
                if (module.StartsWith(prefix, StringComparison.Ordinal)) module = module[prefix.Length..];
            // diffusers' attention processors: M.processor.to_q_lora.down.weight adapts M.to_q.
            var processor = module.LastIndexOf(".processor.", StringComparison.Ordinal);
            if (processor >= 0)
            {
                var projection = module[(processor + ".processor.".Length)..];
                module = $"{module[..processor]}.{(projection == "to_out" ? "to_out.0" : projection)}";
            }
            return (module, part);
        }
        return null;
    }

    /// <summary>
    /// How a diffusers/PEFT file scales its updates: the LoraConfig that diffusers' save_lora_weights writes into the
    /// metadata as JSON (lora_adapter_metadata, keys prefixed "unet."): lora_alpha, per-module alpha_pattern, use_rslora.
    /// Without it (older diffusers, the attention-processor layout) α = r, as diffusers' get_peft_kwargs assumes.
    /// </summary>
    sealed record LoraConfig(double? LoraAlpha, IReadOnlyDictionary<string, double> AlphaPattern, bool RankStabilised)
    {
        /// <summary>α of a module: the alpha_pattern entry that names it (PEFT matches a pattern against the name's end), else lora_alpha.</summary>
        public double? Alpha(string module) =>
            AlphaPattern.FirstOrDefault(p => System.Text.RegularExpressions.Regex.IsMatch(module, $@"^(.*\.)?({p.Key})$")) is { Key: not null } hit ? hit.Value : LoraAlpha;
    }

    static LoraConfig PeftConfig(SafetensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue("lora_adapter_metadata", out var json)) return new(null, new Dictionary<string, double>(), false);
        try
        {
            using var doc = JsonDocument.Parse(json);
            JsonElement? Get(string name) =>
                doc.RootElement.TryGetProperty("unet." + name, out var v) || doc.RootElement.TryGetProperty(name, out v) ? v : null;
            if (Get("use_dora") is { ValueKind: JsonValueKind.True })
                throw new InvalidDataException($"Adapter {path} is a DoRA adapter (use_dora): Vidiff applies plain LoRA updates only.");
            var pattern = Get("alpha_pattern") is { ValueKind: JsonValueKind.Object } p
                ? p.EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetDouble()) : new Dictionary<string, double>();
            return new(Get("lora_alpha") is { ValueKind: JsonValueKind.Number } a ? a.GetDouble() : null, pattern, Get("use_rslora") is { ValueKind: JsonValueKind.True });
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Adapter {path}: its lora_adapter_metadata is not the LoraConfig JSON diffusers writes ({e.Message}).");
        }
    }
}
