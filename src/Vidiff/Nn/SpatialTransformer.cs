using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>
/// diffusers' Transformer2DModel: the image UNet's attention over the pixels of each frame, with cross-attention to the
/// content tokens (paper §2, §4). Frames are folded into the batch: [B·F, C, H, W].
/// </summary>
public sealed class SpatialTransformer : Module<Tensor, Tensor, Tensor>
{
    readonly bool linearProjection;
    readonly GroupNorm norm;
    readonly Module<Tensor, Tensor> proj_in, proj_out;
    readonly ModuleList<TransformerBlock> transformer_blocks;

    /// <param name="linearProjection">Stable Diffusion 2 projects tokens with Linear layers, 1.x with 1×1 convolutions.</param>
    public SpatialTransformer(int channels, int heads, int headDim, int depth, int contextDim, int groups, bool linearProjection)
        : base(nameof(SpatialTransformer))
    {
        this.linearProjection = linearProjection;
        int inner = heads * headDim;
        norm = Norms.Group(groups, channels, eps: 1e-6);
        proj_in = linearProjection ? Linear(channels, inner) : new Conv(channels, inner, 1);
        transformer_blocks = new ModuleList<TransformerBlock>(
            Enumerable.Range(0, depth).Select(_ => new TransformerBlock(inner, heads, headDim, contextDim)).ToArray());
        proj_out = linearProjection ? Linear(inner, channels) : new Conv(inner, channels, 1);
        RegisterComponents();
    }

    /// <param name="x">[N, C, H, W] features.</param>
    /// <param name="context">[N, S, contextDim] content tokens.</param>
    public override Tensor forward(Tensor x, Tensor context) => forward(x, context, null);

    /// <param name="crossFrame">Anchor frames whose keys and values the self-attention of every frame also reads.</param>
    public Tensor forward(Tensor x, Tensor context, CrossFrame? crossFrame)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        var t = norm.forward(x);
        if (!linearProjection) t = proj_in.call(t);
        t = t.permute(0, 2, 3, 1).reshape(n, h * w, -1);
        if (linearProjection) t = proj_in.call(t);
        foreach (var block in transformer_blocks) t = block.forward(t, context, null, crossFrame);
        if (linearProjection) t = proj_out.call(t);
        t = t.reshape(n, h, w, -1).permute(0, 3, 1, 2);
        if (!linearProjection) t = proj_out.call(t);
        return (t + x).MoveToOuterDisposeScope();
    }
}
