using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPAttention: multi-head self-attention with biased q/k/v/out projections.</summary>
public sealed class ClipAttention : Module<Tensor, bool, Tensor>
{
    readonly int heads;
    readonly Linear q_proj, k_proj, v_proj, out_proj;

    /// <param name="layerCount">Depth of the tower, which scales the initial weights as transformers' _init_weights.</param>
    public ClipAttention(int width, int heads, int layerCount) : base(nameof(ClipAttention))
    {
        if (width % heads != 0)
            throw new ArgumentException($"CLIP width {width} is not divisible by {heads} heads.", nameof(heads));
        this.heads = heads;
        q_proj = Linear(width, width);
        k_proj = Linear(width, width);
        v_proj = Linear(width, width);
        out_proj = Linear(width, width);
        double inStd = Math.Pow(width, -0.5) * Math.Pow(2 * layerCount, -0.5);
        using (no_grad())
        {
            foreach (var p in new[] { q_proj, k_proj, v_proj }) init.normal_(p.weight!, 0, inStd);
            init.normal_(out_proj.weight!, 0, Math.Pow(width, -0.5));
            foreach (var p in new[] { q_proj, k_proj, v_proj, out_proj }) init.zeros_(p.bias!);
        }
        RegisterComponents();
    }

    /// <param name="x">[B, T, D] tokens.</param>
    /// <param name="causal">Each token attends only to itself and earlier ones (the text tower).</param>
    public override Tensor forward(Tensor x, bool causal)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor Split(Tensor p) => p.view(b, t, heads, -1).transpose(1, 2);
        var o = functional.scaled_dot_product_attention(Split(q_proj.forward(x)), Split(k_proj.forward(x)), Split(v_proj.forward(x)), is_casual: causal);
        return out_proj.forward(o.transpose(1, 2).reshape(b, t, -1));
    }
}
