using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Prior;

/// <summary>diffusers' Attention as the prior uses it: biased to_q/to_k/to_v/to_out.0, an additive mask.</summary>
public sealed class PriorAttention : Module<Tensor, Tensor, Tensor>
{
    readonly int heads;
    readonly Linear to_q, to_k, to_v;
    readonly ModuleList<Linear> to_out;

    public PriorAttention(int dim, int heads, int headDim) : base(nameof(PriorAttention))
    {
        this.heads = heads;
        to_q = Linear(dim, heads * headDim);
        to_k = Linear(dim, heads * headDim);
        to_v = Linear(dim, heads * headDim);
        to_out = new ModuleList<Linear>(Linear(heads * headDim, dim));
        RegisterComponents();
    }

    /// <param name="x">[B, L, D] tokens.</param>
    /// <param name="mask">Additive [B, L, L] mask.</param>
    public override Tensor forward(Tensor x, Tensor mask)
    {
        long b = x.shape[0], l = x.shape[1];
        Tensor Split(Tensor p) => p.view(b, l, heads, -1).transpose(1, 2);
        var o = functional.scaled_dot_product_attention(Split(to_q.forward(x)), Split(to_k.forward(x)), Split(to_v.forward(x)), mask.unsqueeze(1));
        return to_out[0].forward(o.transpose(1, 2).reshape(b, l, -1));
    }
}
