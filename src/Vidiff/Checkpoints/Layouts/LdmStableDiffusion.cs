using System.Text.RegularExpressions;
using Vidiff.Autoencoder;
using Vidiff.Unet;

namespace Vidiff.Checkpoints.Layouts;

/// <summary>
/// The original latent-diffusion single-file layout of Stable Diffusion 1.x/2.x (<c>model.diffusion_model.*</c>,
/// <c>first_stage_model.*</c>, <c>cond_stage_model.*</c>). Names are mapped from ours (diffusers') to theirs following
/// diffusers' scripts/convert_diffusers_to_original_stable_diffusion.py, generalised from its hard-coded 4 levels × 2 layers
/// to any <see cref="UnetConfig"/>/<see cref="AutoencoderConfig"/>.
/// </summary>
public static partial class LdmStableDiffusion
{
    public const string UnetPrefix = "model.diffusion_model.", AutoencoderPrefix = "first_stage_model.", TextEncoderPrefix = "cond_stage_model.";

    static readonly (string Ours, string Theirs)[] ResnetParts =
        [("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("norm2", "out_layers.0"), ("conv2", "out_layers.3"),
         ("time_emb_proj", "emb_layers.1"), ("conv_shortcut", "skip_connection")];

    static readonly Dictionary<string, string> UnetTop = new()
    {
        ["time_embedding.linear_1"] = "time_embed.0",
        ["time_embedding.linear_2"] = "time_embed.2",
        ["conv_in"] = "input_blocks.0.0",
        ["conv_norm_out"] = "out.0",
        ["conv_out"] = "out.2",
    };

    static readonly Dictionary<string, string> VaeAttention = new()
    {
        ["group_norm"] = "norm",
        ["to_q"] = "q",
        ["to_k"] = "k",
        ["to_v"] = "v",
        ["to_out.0"] = "proj_out",
    };

    /// <summary>The LDM name (without <see cref="UnetPrefix"/>) of one of our image-UNet parameters.</summary>
    public static string UnetKey(string ours, UnetConfig config)
    {
        int per = config.LayersPerBlock + 1, levels = config.BlockChannels.Length;
        foreach (var (o, t) in UnetTop)
            if (ours.StartsWith(o + ".", StringComparison.Ordinal)) return t + ours[o.Length..];
        var m = UnetPath().Match(ours);
        if (!m.Success) return ours;
        int i = int.Parse(m.Groups["i"].Value), j = int.Parse(m.Groups["j"].Value);
        string rest = m.Groups["rest"].Value, kind = m.Groups["kind"].Value;
        return (m.Groups["block"].Value, kind) switch
        {
            ("down_blocks", "resnets") => $"input_blocks.{per * i + j + 1}.0.{Resnet(rest)}",
            ("down_blocks", "attentions") => $"input_blocks.{per * i + j + 1}.1.{rest}",
            ("down_blocks", "downsamplers") => $"input_blocks.{per * (i + 1)}.0.op.{rest["conv.".Length..]}",
            ("up_blocks", "resnets") => $"output_blocks.{per * i + j}.0.{Resnet(rest)}",
            ("up_blocks", "attentions") => $"output_blocks.{per * i + j}.1.{rest}",
            // The upsampler follows the last layer's resnet, and its transformer where the level has one.
            ("up_blocks", "upsamplers") => $"output_blocks.{per * i + per - 1}.{(config.Transformers[levels - 1 - i] ? 2 : 1)}.{rest}",
            _ => ours,
        };
    }

    static string Resnet(string rest)
    {
        foreach (var (o, t) in ResnetParts)
            if (rest.StartsWith(o + ".", StringComparison.Ordinal)) return t + rest[o.Length..];
        return rest;
    }

    // The LDM mid block (middle_block.0/1/2: resnet, transformer, resnet) has no level index, so it is matched apart.
    static string UnetMid(string ours) => ours switch
    {
        _ when ours.StartsWith("mid_block.attentions.0.", StringComparison.Ordinal) => "middle_block.1." + ours["mid_block.attentions.0.".Length..],
        _ when MidResnet().Match(ours) is { Success: true } m => $"middle_block.{2 * int.Parse(m.Groups["j"].Value)}.{Resnet(m.Groups["rest"].Value)}",
        _ => ours,
    };

    /// <summary>Our image-UNet parameter names (temporal layers excluded) → their LDM names (prefix included).</summary>
    public static Dictionary<string, string> UnetKeys(IEnumerable<string> ours, UnetConfig config) =>
        ours.ToDictionary(k => k, k => UnetPrefix + (k.StartsWith("mid_block.", StringComparison.Ordinal) ? UnetMid(k) : UnetKey(k, config)));

    /// <summary>Our autoencoder parameter names → their LDM names (prefix included).</summary>
    public static Dictionary<string, string> AutoencoderKeys(IEnumerable<string> ours, AutoencoderConfig config) =>
        ours.ToDictionary(k => k, k => AutoencoderPrefix + AutoencoderKey(k, config.BlockChannels.Length));

    static string AutoencoderKey(string ours, int levels)
    {
        var k = ours.Replace("conv_shortcut", "nin_shortcut").Replace("conv_norm_out", "norm_out");
        k = Regex.Replace(k, @"^encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.", m => $"encoder.down.{m.Groups[1]}.block.{m.Groups[2]}.");
        k = Regex.Replace(k, @"^encoder\.down_blocks\.(\d+)\.downsamplers\.0\.", m => $"encoder.down.{m.Groups[1]}.downsample.");
        // LDM numbers the decoder's levels from the full-resolution end, diffusers from the latent end.
        k = Regex.Replace(k, @"^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.", m => $"decoder.up.{levels - 1 - int.Parse(m.Groups[1].Value)}.block.{m.Groups[2]}.");
        k = Regex.Replace(k, @"^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.", m => $"decoder.up.{levels - 1 - int.Parse(m.Groups[1].Value)}.upsample.");
        k = Regex.Replace(k, @"\.mid_block\.resnets\.(\d+)\.", m => $".mid.block_{int.Parse(m.Groups[1].Value) + 1}.");
        var attn = Regex.Match(k, @"\.mid_block\.attentions\.0\.(?<part>.+)\.(?<p>weight|bias)$");
        if (attn.Success) k = k[..attn.Index] + $".mid.attn_1.{VaeAttention[attn.Groups["part"].Value]}.{attn.Groups["p"].Value}";
        return k;
    }

    /// <summary>
    /// The UNet's shape read from tensor shapes. Head counts are not stored; unless given they follow the Stable Diffusion
    /// version: 8 heads for 1.x (1×1-conv projections), 64-wide heads for 2.x (linear projections). Vidiff always has one
    /// structure channel (paper §3): a 4-channel image UNet gets it added at import, SD-2-depth's 5th channel already is one.
    /// </summary>
    public static UnetConfig InferUnet(SafetensorsFile file, int normGroups = 32, int? heads = null, int? headDim = null)
    {
        var keys = file.Keys.Where(k => k.StartsWith(UnetPrefix, StringComparison.Ordinal)).Select(k => k[UnetPrefix.Length..]).ToHashSet();
        if (keys.Count == 0) throw new CheckpointMismatchException($"Weights file has no \"{UnetPrefix}*\" tensors: not a Stable Diffusion single-file checkpoint with a UNet");
        long[] Shape(string key) => keys.Contains(key) ? file[UnetPrefix + key].Shape
            : throw new CheckpointMismatchException($"Stable Diffusion checkpoint lacks \"{UnetPrefix}{key}\", needed to infer the UNet's shape");

        var channels = new List<int>();
        var transformers = new List<bool>();
        int layers = 0;
        for (int n = 1; keys.Contains($"input_blocks.{n}.0.op.weight") || keys.Contains($"input_blocks.{n}.0.in_layers.2.weight"); n++)
        {
            if (keys.Contains($"input_blocks.{n}.0.op.weight")) continue;
            int c = (int)Shape($"input_blocks.{n}.0.out_layers.3.weight")[0];
            bool downsampledBefore = n > 1 && keys.Contains($"input_blocks.{n - 1}.0.op.weight");
            if (channels.Count == 0 || downsampledBefore)
            {
                channels.Add(c);
                transformers.Add(keys.Contains($"input_blocks.{n}.1.proj_in.weight"));
            }
            if (channels.Count == 1) layers++;
        }
        if (heads is not null && headDim is not null) throw new ArgumentException("give the attention heads or the head width, not both");
        if ((heads ?? headDim) is int divisor && channels.Where((c, i) => transformers[i] && c % divisor != 0).ToList() is [int bad, ..])
            throw new ArgumentException($"{(heads is null ? "head width" : "attention heads")} {divisor} does not divide the {bad} channels of a transformer level");
        var conv = Shape("input_blocks.0.0.weight");
        var proj = Shape("middle_block.1.proj_in.weight");
        int depth = Enumerable.Range(0, 64).TakeWhile(d => keys.Contains($"middle_block.1.transformer_blocks.{d}.attn1.to_q.weight")).Count();
        int contentDim = (int)Shape("middle_block.1.transformer_blocks.0.attn2.to_k.weight")[1];
        int outChannels = (int)Shape("out.2.weight")[0];
        bool linear = proj.Length == 2;
        bool sd2 = linear || contentDim == 1024;
        return new UnetConfig([.. channels], [.. transformers], LayersPerBlock: layers, LatentChannels: outChannels,
            StructureChannels: Math.Max(1, (int)conv[1] - outChannels), OutChannels: outChannels,
            AttentionHeads: heads ?? 8, AttentionHeadDim: heads is null ? headDim ?? (sd2 ? 64 : null) : null,
            TransformerDepth: depth, ContentDim: contentDim, LinearProjection: linear, NormGroups: normGroups);
    }

    /// <summary>The autoencoder's shape read from tensor shapes (the norm groups are not stored: Stable Diffusion's 32 unless given).</summary>
    public static AutoencoderConfig InferAutoencoder(SafetensorsFile file, int normGroups = 32)
    {
        const string p = AutoencoderPrefix;
        if (!file.Keys.Contains(p + "encoder.conv_in.weight"))
            throw new CheckpointMismatchException($"Weights file has no \"{p}encoder.conv_in.weight\": not a Stable Diffusion single-file checkpoint with an autoencoder");
        var channels = Enumerable.Range(0, 16).TakeWhile(i => file.Keys.Contains($"{p}encoder.down.{i}.block.0.conv1.weight"))
            .Select(i => (int)file[$"{p}encoder.down.{i}.block.0.conv1.weight"].Shape[0]).ToArray();
        int layers = Enumerable.Range(0, 16).TakeWhile(j => file.Keys.Contains($"{p}encoder.down.0.block.{j}.conv1.weight")).Count();
        int latent = (int)file[p + "decoder.conv_in.weight"].Shape[1];
        int image = (int)file[p + "encoder.conv_in.weight"].Shape[1];
        return new AutoencoderConfig(channels, layers, latent, normGroups, ImageChannels: image);
    }

    [GeneratedRegex(@"^(?<block>down_blocks|up_blocks)\.(?<i>\d+)\.(?<kind>resnets|attentions|downsamplers|upsamplers)\.(?<j>\d+)\.(?<rest>.+)$")]
    private static partial Regex UnetPath();

    [GeneratedRegex(@"^mid_block\.resnets\.(?<j>\d+)\.(?<rest>.+)$")]
    private static partial Regex MidResnet();
}
