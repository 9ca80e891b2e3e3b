using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Depth;

/// <summary>
/// One pre-norm transformer block of the backbone. The maths is shared by ViT (DPT, DPT-Hybrid) and DINOv2; DINOv2 adds a learned
/// per-channel layer scale on both residual branches. Keys follow DPTViTLayer or Dinov2Layer.
/// </summary>
sealed class VitLayer : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm1, norm2;
    readonly Linear query, key, value, dense, fc1, fc2;
    readonly Parameter? scale1, scale2;
    readonly int heads;

    public VitLayer(DptConfig c) : base(nameof(VitLayer))
    {
        int d = c.HiddenSize;
        heads = c.Heads;
        norm1 = nn.LayerNorm(d, c.LayerNormEps);
        norm2 = nn.LayerNorm(d, c.LayerNormEps);
        query = nn.Linear(d, d);
        key = nn.Linear(d, d);
        value = nn.Linear(d, d);
        dense = nn.Linear(d, d);
        fc1 = nn.Linear(d, c.IntermediateSize);
        fc2 = nn.Linear(c.IntermediateSize, d);
        var attention = new Scope(("attention", new Scope(("query", query), ("key", key), ("value", value))),
            ("output", new Scope(("dense", dense))));
        if (c.Backbone != DptBackbone.Dinov2)
        {
            register_module("attention", attention);
            register_module("intermediate", new Scope(("dense", fc1)));
            register_module("output", new Scope(("dense", fc2)));
            register_module("layernorm_before", norm1);
            register_module("layernorm_after", norm2);
        }
        else
        {
            scale1 = new Parameter(ones(d));
            scale2 = new Parameter(ones(d));
            register_module("norm1", norm1);
            register_module("attention", attention);
            register_module("layer_scale1", new Scope(("lambda1", scale1)));
            register_module("norm2", norm2);
            register_module("mlp", new Scope(("fc1", fc1), ("fc2", fc2)));
            register_module("layer_scale2", new Scope(("lambda1", scale2)));
        }
    }

    // Children are registered by hand under their Hugging Face names; TorchSharp's field reflection would add them twice.
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], d = x.shape[2];
        var h = norm1.forward(x);
        Tensor Heads(Tensor t) => t.view(b, n, heads, d / heads).transpose(1, 2);
        var a = F.scaled_dot_product_attention(Heads(query.forward(h)), Heads(key.forward(h)), Heads(value.forward(h)));
        a = dense.forward(a.transpose(1, 2).reshape(b, n, d));
        if (scale1 is not null) a = a * scale1;
        x = x + a;
        var m = fc2.forward(F.gelu(fc1.forward(norm2.forward(x))));
        if (scale2 is not null) m = m * scale2;
        return (x + m).MoveToOuterDisposeScope();
    }
}
