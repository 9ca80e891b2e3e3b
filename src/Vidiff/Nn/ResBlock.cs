using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>
/// diffusers' ResnetBlock2D (norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut), optionally with the paper's
/// temporal convolutions temp_conv1/temp_conv2 after each spatial convolution (§2).
/// </summary>
public sealed class ResBlock : Module<Tensor, Tensor?, int, Tensor>
{
    readonly GroupNorm norm1, norm2;
    readonly Conv conv1, conv2;
    readonly Linear? time_emb_proj;
    readonly Conv? conv_shortcut;
    readonly TemporalConvolution? temp_conv1, temp_conv2;

    /// <param name="eps">GroupNorm epsilon: 1e-6 in the autoencoder, 1e-5 in the UNet.</param>
    /// <param name="timeDim">Width of the timestep embedding; 0 for none (the autoencoder).</param>
    public ResBlock(int inChannels, int outChannels, int groups, double eps, int timeDim = 0, bool temporal = false) : base(nameof(ResBlock))
    {
        norm1 = Norms.Group(groups, inChannels, eps: eps);
        conv1 = new Conv(inChannels, outChannels, 3, padding: 1);
        if (timeDim > 0) time_emb_proj = Linear(timeDim, outChannels);
        norm2 = Norms.Group(groups, outChannels, eps: eps);
        conv2 = new Conv(outChannels, outChannels, 3, padding: 1);
        if (inChannels != outChannels) conv_shortcut = new Conv(inChannels, outChannels, 1);
        if (temporal)
        {
            temp_conv1 = new TemporalConvolution(outChannels, groups);
            temp_conv2 = new TemporalConvolution(outChannels, groups);
        }
        RegisterComponents();
    }

    /// <param name="x">[B·F, C, H, W] features, frames folded into the batch.</param>
    /// <param name="temb">[B·F, timeDim] timestep embedding, or null without one.</param>
    /// <param name="frames">F; 1 skips the temporal convolutions (an image, or the per-frame model of §5).</param>
    public override Tensor forward(Tensor x, Tensor? temb, int frames)
    {
        // Every layer frees its intermediates as soon as it returns (inference would otherwise hold every activation
        // until the whole forward ends); autograd keeps what backward needs.
        using var scope = NewDisposeScope();
        var h = conv1.call(functional.silu(norm1.forward(x)));
        if (temp_conv1 is not null && frames > 1) h = temp_conv1.forward(h, frames);
        if (time_emb_proj is not null) h = h + time_emb_proj.call(functional.silu(temb!)).unsqueeze(-1).unsqueeze(-1);
        h = conv2.call(functional.silu(norm2.forward(h)));
        if (temp_conv2 is not null && frames > 1) h = temp_conv2.forward(h, frames);
        return ((conv_shortcut?.call(x) ?? x) + h).MoveToOuterDisposeScope();
    }
}
