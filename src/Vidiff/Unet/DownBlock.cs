using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Unet;

/// <summary>diffusers' CrossAttnDownBlock2D / DownBlock2D with the paper's temporal layers (§2).</summary>
public sealed class DownBlock : Module
{
    readonly ModuleList<ResBlock> resnets;
    readonly ModuleList<SpatialTransformer>? attentions;
    readonly ModuleList<TemporalAttention>? temp_attentions;
    readonly ModuleList<Downsampler>? downsamplers;

    public DownBlock(UnetConfig cfg, int inChannels, int outChannels, bool transformer, bool downsample) : base(nameof(DownBlock))
    {
        int n = cfg.LayersPerBlock, heads = cfg.HeadsFor(outChannels);
        resnets = new(Enumerable.Range(0, n).Select(i =>
            new ResBlock(i == 0 ? inChannels : outChannels, outChannels, cfg.NormGroups, 1e-5, cfg.TimeDim, temporal: true)).ToArray());
        if (transformer)
        {
            attentions = new(Enumerable.Range(0, n).Select(_ => new SpatialTransformer(
                outChannels, heads, outChannels / heads, cfg.TransformerDepth, cfg.ContentDim, cfg.NormGroups, cfg.LinearProjection)).ToArray());
            temp_attentions = new(Enumerable.Range(0, n).Select(_ => new TemporalAttention(outChannels, heads, cfg.NormGroups, cfg.MaxFrames)).ToArray());
        }
        if (downsample) downsamplers = new(new Downsampler(outChannels, asymmetricPad: false));
        RegisterComponents();
    }

    /// <param name="crossFrame">Anchor frames of the spatial self-attention, or null.</param>
    /// <param name="skips">Receives every resnet's and the downsampler's output, for the up blocks.</param>
    public Tensor forward(Tensor x, Tensor temb, Tensor content, int frames, CrossFrame? crossFrame, List<Tensor> skips)
    {
        for (int i = 0; i < resnets.Count; i++)
        {
            x = resnets[i].forward(x, temb, frames);
            if (attentions is not null)
            {
                x = attentions[i].forward(x, content, crossFrame);
                if (frames > 1) x = temp_attentions![i].forward(x, frames);
            }
            skips.Add(x);
        }
        if (downsamplers is not null)
        {
            x = downsamplers[0].forward(x);
            skips.Add(x);
        }
        return x;
    }
}
