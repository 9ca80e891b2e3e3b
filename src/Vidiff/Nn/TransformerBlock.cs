using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>
/// diffusers' BasicTransformerBlock: self-attention, cross-attention to the content tokens (paper §4), feed-forward,
/// each pre-normalised and residual. Without a context width it has no cross-attention (the temporal attention, §2;
/// the prior, which also uses biased projections and a plain GELU feed-forward).
/// </summary>
public sealed class TransformerBlock : Module<Tensor, Tensor?, Tensor>
{
    readonly LayerNorm norm1, norm3;
    readonly Attention attn1;
    readonly LayerNorm? norm2;
    readonly Attention? attn2;
    readonly FeedForward ff;

    public TransformerBlock(int dim, int heads, int headDim, int? contextDim, bool gatedFeedForward = true, bool attentionBias = false)
        : base(nameof(TransformerBlock))
    {
        norm1 = LayerNorm(dim);
        attn1 = new Attention(dim, null, heads, headDim, attentionBias);
        if (contextDim is int d)
        {
            norm2 = LayerNorm(dim);
            attn2 = new Attention(dim, d, heads, headDim);
        }
        norm3 = LayerNorm(dim);
        ff = new FeedForward(dim, gated: gatedFeedForward);
        RegisterComponents();
    }

    /// <param name="x">[N, T, dim] tokens.</param>
    /// <param name="context">[N, S, contextDim] content tokens; ignored without cross-attention.</param>
    public override Tensor forward(Tensor x, Tensor? context) => forward(x, context, null);

    /// <param name="selfAttentionMask">Additive [N, T, T] mask for the self-attention.</param>
    /// <param name="crossFrame">Anchor frames whose keys and values the self-attention of every frame also reads.</param>
    public Tensor forward(Tensor x, Tensor? context, Tensor? selfAttentionMask, CrossFrame? crossFrame = null)
    {
        using var scope = NewDisposeScope();
        x = attn1.forward(norm1.forward(x), null, selfAttentionMask, crossFrame) + x;
        if (attn2 is not null) x = attn2.forward(norm2!.forward(x), context) + x;
        return (ff.forward(norm3.forward(x)) + x).MoveToOuterDisposeScope();
    }
}
