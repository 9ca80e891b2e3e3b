using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Unet;

/// <summary>diffusers' UNetMidBlock2DCrossAttn (resnet, transformer, resnet) with the paper's temporal layers (§2).</summary>
public sealed class MidBlock : Module
{
    readonly ModuleList<ResBlock> resnets;
    readonly ModuleList<SpatialTransformer> attentions;
    readonly ModuleList<TemporalAttention> temp_attentions;

    public MidBlock(UnetConfig cfg, int channels) : base(nameof(MidBlock))
    {
        int heads = cfg.HeadsFor(channels);
        resnets = new(
            new ResBlock(channels, channels, cfg.NormGroups, 1e-5, cfg.TimeDim, temporal: true),
            new ResBlock(channels, channels, cfg.NormGroups, 1e-5, cfg.TimeDim, temporal: true));
        attentions = new(new SpatialTransformer(channels, heads, channels / heads, cfg.TransformerDepth, cfg.ContentDim, cfg.NormGroups, cfg.LinearProjection));
        temp_attentions = new(new TemporalAttention(channels, heads, cfg.NormGroups, cfg.MaxFrames));
        RegisterComponents();
    }

    /// <param name="crossFrame">Anchor frames of the spatial self-attention, or null.</param>
    public Tensor forward(Tensor x, Tensor temb, Tensor content, int frames, CrossFrame? crossFrame)
    {
        x = resnets[0].forward(x, temb, frames);
        x = attentions[0].forward(x, content, crossFrame);
        if (frames > 1) x = temp_attentions[0].forward(x, frames);
        return resnets[1].forward(x, temb, frames);
    }
}
