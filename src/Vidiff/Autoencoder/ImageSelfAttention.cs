using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Autoencoder;

/// <summary>The autoencoder's single-head self-attention over pixels (diffusers: group_norm, to_q, to_k, to_v, to_out.0), residual.</summary>
public sealed class ImageSelfAttention : Module<Tensor, Tensor>
{
    readonly GroupNorm group_norm;
    readonly Linear to_q, to_k, to_v;
    readonly ModuleList<Linear> to_out;

    public ImageSelfAttention(int channels, int groups) : base(nameof(ImageSelfAttention))
    {
        group_norm = Norms.Group(groups, channels, eps: 1e-6);
        to_q = Linear(channels, channels);
        to_k = Linear(channels, channels);
        to_v = Linear(channels, channels);
        to_out = new ModuleList<Linear>(Linear(channels, channels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var t = group_norm.forward(x).view(n, c, h * w).transpose(1, 2);
        t = to_out[0].call(Attention.MultiHead(to_q.call(t), to_k.call(t), to_v.call(t), heads: 1));
        return (x + t.transpose(1, 2).reshape(n, c, h, w)).MoveToOuterDisposeScope();
    }
}
