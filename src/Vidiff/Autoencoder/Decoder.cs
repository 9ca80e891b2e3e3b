using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Autoencoder;

/// <summary>The autoencoder's decoder D (diffusers' Decoder): latents to images in [-1, 1] (unclamped).</summary>
public sealed class Decoder : Module<Tensor, Tensor>
{
    readonly Conv conv_in, conv_out;
    readonly MidBlock mid_block;
    readonly ModuleList<DecoderBlock> up_blocks;
    readonly GroupNorm conv_norm_out;

    public Decoder(AutoencoderConfig cfg) : base(nameof(Decoder))
    {
        var ch = cfg.BlockChannels.Reverse().ToArray();
        conv_in = new Conv(cfg.LatentChannels, ch[0], 3, padding: 1);
        mid_block = new MidBlock(ch[0], cfg.NormGroups);
        up_blocks = new(Enumerable.Range(0, ch.Length).Select(i =>
            new DecoderBlock(ch[Math.Max(i - 1, 0)], ch[i], cfg.LayersPerBlock + 1, cfg.NormGroups, upsample: i < ch.Length - 1)).ToArray());
        conv_norm_out = Norms.Group(cfg.NormGroups, ch[^1], eps: 1e-6);
        conv_out = new Conv(ch[^1], cfg.ImageChannels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor z)
    {
        var x = mid_block.forward(conv_in.call(z));
        foreach (var block in up_blocks) x = block.forward(x);
        return conv_out.call(functional.silu(conv_norm_out.call(x)));
    }
}
