using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Unet;

/// <summary>
/// The spatio-temporal UNet of paper §2: Stable Diffusion's image UNet (diffusers' UNet2DConditionModel names) with a
/// temporal convolution after each spatial convolution and a temporal attention after each spatial transformer.
/// Structure is concatenated to the latents (§3), and with <see cref="UnetConfig.StructureAtEveryLevel"/> also added at
/// every level of the down path; content enters by cross-attention (§4).
/// </summary>
public sealed class SpatioTemporalUnet : Module
{
    public UnetConfig Config { get; }

    readonly Conv conv_in;
    readonly TimestepEmbedding time_embedding;
    readonly Linear? content_proj;
    readonly ModuleList<Conv>? structure_convs;
    readonly ModuleList<DownBlock> down_blocks;
    readonly MidBlock mid_block;
    readonly ModuleList<UpBlock> up_blocks;
    readonly GroupNorm conv_norm_out;
    readonly Conv conv_out;

    public SpatioTemporalUnet(UnetConfig config) : base(nameof(SpatioTemporalUnet))
    {
        Config = config;
        var ch = config.BlockChannels;
        int levels = ch.Length;
        if (config.Transformers.Length != levels)
            throw new ArgumentException($"UnetConfig.Transformers has {config.Transformers.Length} entries; expected one per level ({levels})", nameof(config));

        conv_in = new Conv(config.InChannels, ch[0], 3, padding: 1);
        time_embedding = new TimestepEmbedding(ch[0], config.TimeDim);
        if (config.ContentTokens > 1) content_proj = Linear(config.ContentDim, config.ContentTokens * config.ContentDim);
        if (config.StructureAtEveryLevel)
            structure_convs = new(Enumerable.Range(0, levels).Select(i => new Conv(config.StructureChannels, ch[Math.Max(i - 1, 0)], 3, padding: 1).ZeroInitialised()).ToArray());
        down_blocks = new(Enumerable.Range(0, levels).Select(i =>
            new DownBlock(config, ch[Math.Max(i - 1, 0)], ch[i], config.Transformers[i], downsample: i < levels - 1)).ToArray());
        mid_block = new MidBlock(config, ch[^1]);
        up_blocks = new(Enumerable.Range(0, levels).Select(i =>
        {
            int level = levels - 1 - i;
            return new UpBlock(config, ch[Math.Max(level - 1, 0)], ch[level], ch[Math.Min(level + 1, levels - 1)],
                config.Transformers[level], upsample: level > 0);
        }).ToArray());
        conv_norm_out = Norms.Group(config.NormGroups, ch[0]);
        conv_out = new Conv(ch[0], config.OutChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>The model's prediction for a batch of videos.</summary>
    /// <param name="latents">[B, latent, F, h, w] noisy latents z_t.</param>
    /// <param name="structure">[B, Cs, F, h, w] structure (depth), or null for a model without structure channels.</param>
    /// <param name="timesteps">[B] diffusion steps t (float or integer).</param>
    /// <param name="content">[B, N, ContentDim] content tokens; the caller passes zeros as the null content (§5).</param>
    /// <param name="perFrame">Skip the temporal layers: each frame through the image model, m_π of temporal guidance (§5).</param>
    /// <param name="anchors">Cross-frame attention (<see cref="CrossFrame"/>): frames in [0, F) whose keys and values the
    /// spatial self-attention of every frame of the same video also reads; null for none.</param>
    /// <returns>[B, out, F, h, w] in the latents' dtype.</returns>
    public Tensor forward(Tensor latents, Tensor? structure, Tensor timesteps, Tensor content, bool perFrame = false, int[]? anchors = null)
    {
        using var scope = NewDisposeScope();
        Validate(latents, structure, timesteps, content, anchors);
        long b = latents.shape[0], f = latents.shape[2], h = latents.shape[3], w = latents.shape[4];
        var dtype = conv_in.Weight.dtype;

        var x = structure is null ? latents : cat([latents, structure.to(latents.dtype)], 1);
        // Spatial layers see frames as a batch of images: [B·F, C, h, w].
        x = x.transpose(1, 2).reshape(b * f, Config.InChannels, h, w).to(dtype);
        var frameStructure = structure_convs is null ? null : x.narrow(1, Config.LatentChannels, Config.StructureChannels);
        var temb = time_embedding.forward(TimestepEmbedding.Sinusoidal(timesteps.reshape(-1).expand(b), Config.BlockChannels[0]).to(dtype));
        temb = temb.repeat_interleave(f, 0);
        var ctx = content.to(dtype);
        if (content_proj is not null) ctx = content_proj.call(ctx).reshape(b, -1, Config.ContentDim);
        ctx = ctx.repeat_interleave(f, 0);
        // One frame is an image; per-frame mode runs the image model on each frame (the temporal layers are skipped).
        int frames = perFrame ? 1 : (int)f;
        var crossFrame = anchors is null ? null : new CrossFrame((int)f, anchors);

        x = conv_in.call(x);
        var skips = new List<Tensor> { x };
        for (int i = 0; i < down_blocks.Count; i++)
        {
            if (structure_convs is not null) x = x + structure_convs[i].call(AtSizeOf(x, frameStructure!));
            x = down_blocks[i].forward(x, temb, ctx, frames, crossFrame, skips);
        }
        x = mid_block.forward(x, temb, ctx, frames, crossFrame);
        foreach (var block in up_blocks) x = block.forward(x, temb, ctx, frames, crossFrame, skips);
        x = conv_out.call(functional.silu(conv_norm_out.call(x)));

        return x.reshape(b, f, Config.OutChannels, h, w).transpose(1, 2).to(latents.dtype).MoveToOuterDisposeScope();
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>Whether a parameter or state key belongs to the temporal layers of paper §2 (the temporal convolutions
    /// and the temporal attentions with their frame positions), the layers an image UNet lacks.</summary>
    public static bool IsTemporal(string key) => key.Contains("temp_", StringComparison.Ordinal);

    /// <summary>Structure [B·F, Cs, h, w] averaged down to the resolution of the features <paramref name="x"/>.</summary>
    static Tensor AtSizeOf(Tensor x, Tensor structure) => x.shape[2] == structure.shape[2] && x.shape[3] == structure.shape[3]
        ? structure
        : functional.interpolate(structure, [x.shape[2], x.shape[3]], mode: InterpolationMode.Area);

    void Validate(Tensor latents, Tensor? structure, Tensor timesteps, Tensor content, int[]? anchors)
    {
        if (latents.dim() != 5 || latents.shape[1] != Config.LatentChannels)
            throw new ArgumentException($"latents have shape [{string.Join(", ", latents.shape)}]; expected [B, {Config.LatentChannels}, F, h, w]", nameof(latents));
        long b = latents.shape[0];
        var video = latents.shape[2..];
        if (Config.StructureChannels > 0 && (structure is null || structure.dim() != 5 || structure.shape[0] != b
            || structure.shape[1] != Config.StructureChannels || !structure.shape[2..].SequenceEqual(video)))
            throw new ArgumentException($"structure has shape {Shape(structure)}; expected [{b}, {Config.StructureChannels}, {string.Join(", ", video)}]", nameof(structure));
        if (Config.StructureChannels == 0 && structure is not null)
            throw new ArgumentException("structure was given but the UNet has no structure channels", nameof(structure));
        if (timesteps.numel() != b && timesteps.numel() != 1)
            throw new ArgumentException($"timesteps have shape {Shape(timesteps)}; expected [{b}]", nameof(timesteps));
        if (content.dim() != 3 || content.shape[0] != b || content.shape[2] != Config.ContentDim)
            throw new ArgumentException($"content has shape {Shape(content)}; expected [{b}, N, {Config.ContentDim}]", nameof(content));
        if (latents.shape[2] > Config.MaxFrames)
            throw new ArgumentException($"latents have {latents.shape[2]} frames; the UNet has frame positions for at most {Config.MaxFrames}", nameof(latents));
        if (anchors is not null && (anchors.Length == 0 || anchors.Any(a => a < 0 || a >= latents.shape[2])))
            throw new ArgumentException($"anchor frames [{string.Join(", ", anchors)}]; expected at least one, each in [0, {latents.shape[2]})", nameof(anchors));
    }

    static string Shape(Tensor? t) => t is null ? "null" : $"[{string.Join(", ", t.shape)}]";
}
