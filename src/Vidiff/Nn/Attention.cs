using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>Multi-head attention with diffusers' parameter names (to_q, to_k, to_v, to_out.0).</summary>
public sealed class Attention : Module<Tensor, Tensor?, Tensor>
{
    readonly int heads;
    readonly Linear to_q, to_k, to_v;
    readonly ModuleList<Linear> to_out;

    /// <param name="contextDim">Width of the tokens attended to; null for self-attention.</param>
    public Attention(int queryDim, int? contextDim, int heads, int headDim, bool qkvBias = false) : base(nameof(Attention))
    {
        this.heads = heads;
        int inner = heads * headDim;
        to_q = Linear(queryDim, inner, hasBias: qkvBias);
        to_k = Linear(contextDim ?? queryDim, inner, hasBias: qkvBias);
        to_v = Linear(contextDim ?? queryDim, inner, hasBias: qkvBias);
        to_out = new ModuleList<Linear>(Linear(inner, queryDim));
        RegisterComponents();
    }

    /// <param name="x">[N, T, queryDim] tokens.</param>
    /// <param name="context">[N, S, contextDim] tokens to attend to; null attends to x itself.</param>
    public override Tensor forward(Tensor x, Tensor? context) => forward(x, context, null);

    /// <param name="mask">Additive [N, T, S] mask (the prior's causal and padding mask); null attends everywhere.</param>
    /// <param name="crossFrame">Anchor frames whose keys and values every frame also reads (x is [B·F, T, D]); null for none.</param>
    public Tensor forward(Tensor x, Tensor? context, Tensor? mask, CrossFrame? crossFrame = null)
    {
        using var scope = NewDisposeScope();
        var c = context ?? x;
        Tensor k = to_k.call(c), v = to_v.call(c);
        // Projecting is per token, so the anchors' keys are gathered after it, once, not projected again for every frame.
        if (crossFrame is not null) (k, v) = (crossFrame.WithAnchors(k), crossFrame.WithAnchors(v));
        return (to_out[0].call(MultiHead(to_q.call(x), k, v, heads, mask))).MoveToOuterDisposeScope();
    }

    /// <summary>Splits [N, T, H·d] projections into heads, attends with scaled dot products and merges the heads.</summary>
    public static Tensor MultiHead(Tensor q, Tensor k, Tensor v, int heads, Tensor? mask = null)
    {
        Tensor Split(Tensor t) => t.view(t.shape[0], t.shape[1], heads, -1).transpose(1, 2);
        var o = functional.scaled_dot_product_attention(Split(q), Split(k), Split(v), mask?.unsqueeze(1));
        return o.transpose(1, 2).reshape(q.shape[0], q.shape[1], -1);
    }
}
