using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Prior;

/// <summary>diffusers' BasicTransformerBlock as the prior builds it: self-attention (norm1, attn1) and feed-forward (norm3, ff), no cross-attention.</summary>
public sealed class PriorTransformerBlock : Module<Tensor, Tensor, Tensor>
{
    readonly LayerNorm norm1, norm3;
    readonly PriorAttention attn1;
    readonly PriorFeedForward ff;

    public PriorTransformerBlock(int dim, int heads, int headDim) : base(nameof(PriorTransformerBlock))
    {
        norm1 = LayerNorm(dim);
        attn1 = new PriorAttention(dim, heads, headDim);
        norm3 = LayerNorm(dim);
        ff = new PriorFeedForward(dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor mask)
    {
        x = x + attn1.forward(norm1.forward(x), mask);
        return x + ff.forward(norm3.forward(x));
    }
}
