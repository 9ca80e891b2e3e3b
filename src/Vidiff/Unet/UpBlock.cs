using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Unet;

/// <summary>diffusers' CrossAttnUpBlock2D / UpBlock2D (layers + 1 resnets, each fed one skip) with the paper's temporal layers (§2).</summary>
public sealed class UpBlock : Module
{
    readonly ModuleList<ResBlock> resnets;
    readonly ModuleList<SpatialTransformer>? attentions;
    readonly ModuleList<TemporalAttention>? temp_attentions;
    readonly ModuleList<Upsampler>? upsamplers;

    /// <param name="skipChannels">Channels of the deepest skip this block takes last (diffusers' in_channels).</param>
    /// <param name="prevChannels">Channels coming from the block below.</param>
    public UpBlock(UnetConfig cfg, int skipChannels, int outChannels, int prevChannels, bool transformer, bool upsample) : base(nameof(UpBlock))
    {
        int n = cfg.LayersPerBlock + 1, heads = cfg.HeadsFor(outChannels);
        resnets = new(Enumerable.Range(0, n).Select(i =>
            new ResBlock((i == 0 ? prevChannels : outChannels) + (i == n - 1 ? skipChannels : outChannels), outChannels,
                cfg.NormGroups, 1e-5, cfg.TimeDim, temporal: true)).ToArray());
        if (transformer)
        {
            attentions = new(Enumerable.Range(0, n).Select(_ => new SpatialTransformer(
                outChannels, heads, outChannels / heads, cfg.TransformerDepth, cfg.ContentDim, cfg.NormGroups, cfg.LinearProjection)).ToArray());
            temp_attentions = new(Enumerable.Range(0, n).Select(_ => new TemporalAttention(outChannels, heads, cfg.NormGroups, cfg.MaxFrames)).ToArray());
        }
        if (upsample) upsamplers = new(new Upsampler(outChannels));
        RegisterComponents();
    }

    /// <param name="crossFrame">Anchor frames of the spatial self-attention, or null.</param>
    /// <param name="skips">The down path's outputs; this block takes its own from the end.</param>
    public Tensor forward(Tensor x, Tensor temb, Tensor content, int frames, CrossFrame? crossFrame, List<Tensor> skips)
    {
        for (int i = 0; i < resnets.Count; i++)
        {
            var skip = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            x = resnets[i].forward(cat([x, skip], 1), temb, frames);
            if (attentions is not null)
            {
                x = attentions[i].forward(x, content, crossFrame);
                if (frames > 1) x = temp_attentions![i].forward(x, frames);
            }
        }
        // Upsample to the next skip's size rather than ×2, so odd latent sizes line up.
        if (upsamplers is not null) x = upsamplers[0].forward(x, [skips[^1].shape[2], skips[^1].shape[3]]);
        return x;
    }
}
