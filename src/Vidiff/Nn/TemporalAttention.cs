using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>
/// Paper §2: self-attention over the frame axis at every pixel, after each spatial transformer, with a learned
/// encoding of the frame index. Residual with a zero-initialised output projection: the identity until trained.
/// </summary>
public sealed class TemporalAttention : Module<Tensor, int, Tensor>
{
    readonly GroupNorm norm;
    readonly Linear proj_in, proj_out;
    readonly Parameter frame_pos;
    readonly ModuleList<TransformerBlock> transformer_blocks;

    public TemporalAttention(int channels, int heads, int groups, int maxFrames) : base(nameof(TemporalAttention))
    {
        norm = Norms.Group(groups, channels, eps: 1e-6);
        proj_in = Linear(channels, channels);
        frame_pos = Parameter(randn(maxFrames, channels) * 0.02);
        transformer_blocks = new ModuleList<TransformerBlock>(new TransformerBlock(channels, heads, channels / heads, null));
        proj_out = Linear(channels, channels);
        using (no_grad())
        {
            proj_out.weight!.zero_();
            proj_out.bias!.zero_();
        }
        RegisterComponents();
    }

    /// <param name="x">[B·F, C, H, W] features, frames folded into the batch.</param>
    /// <param name="frames">F, at most the number of learned frame positions.</param>
    public override Tensor forward(Tensor x, int frames)
    {
        using var scope = NewDisposeScope();
        if (frames > frame_pos.shape[0])
            throw new ArgumentOutOfRangeException(nameof(frames), frames, $"temporal attention has frame positions for at most {frame_pos.shape[0]} frames");
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], b = n / frames;
        // Normalise over each video, then fold space into the batch: [B·H·W, F, C].
        var t = norm.forward(x.view(b, frames, c, h, w).transpose(1, 2));
        t = t.permute(0, 3, 4, 2, 1).reshape(b * h * w, frames, c);
        t = proj_in.call(t) + frame_pos[..frames];
        t = proj_out.call(transformer_blocks[0].forward(t, null));
        return (x + t.view(b, h, w, frames, c).permute(0, 3, 4, 1, 2).reshape(n, c, h, w)).MoveToOuterDisposeScope();
    }
}
