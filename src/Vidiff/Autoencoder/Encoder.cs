using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Autoencoder;

/// <summary>The autoencoder's encoder E (diffusers' Encoder): images to the mean and log-variance of q(z | x).</summary>
public sealed class Encoder : Module<Tensor, Tensor>
{
    readonly Conv conv_in, conv_out;
    readonly ModuleList<EncoderBlock> down_blocks;
    readonly MidBlock mid_block;
    readonly GroupNorm conv_norm_out;

    public Encoder(AutoencoderConfig cfg) : base(nameof(Encoder))
    {
        var ch = cfg.BlockChannels;
        conv_in = new Conv(cfg.ImageChannels, ch[0], 3, padding: 1);
        down_blocks = new(Enumerable.Range(0, ch.Length).Select(i =>
            new EncoderBlock(ch[Math.Max(i - 1, 0)], ch[i], cfg.LayersPerBlock, cfg.NormGroups, downsample: i < ch.Length - 1)).ToArray());
        mid_block = new MidBlock(ch[^1], cfg.NormGroups);
        conv_norm_out = Norms.Group(cfg.NormGroups, ch[^1], eps: 1e-6);
        conv_out = new Conv(ch[^1], 2 * cfg.LatentChannels, 3, padding: 1);
        RegisterComponents();
    }

    /// <returns>[N, 2·latent, h, w]: mean and log-variance, before quant_conv.</returns>
    public override Tensor forward(Tensor x)
    {
        x = conv_in.call(x);
        foreach (var block in down_blocks) x = block.forward(x);
        return conv_out.call(functional.silu(conv_norm_out.call(mid_block.forward(x))));
    }
}
