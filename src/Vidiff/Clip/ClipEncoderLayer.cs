using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPEncoderLayer: pre-norm residual self-attention, then pre-norm residual MLP.</summary>
public sealed class ClipEncoderLayer : Module<Tensor, bool, Tensor>
{
    readonly ClipAttention self_attn;
    readonly LayerNorm layer_norm1, layer_norm2;
    readonly ClipMlp mlp;

    public ClipEncoderLayer(int width, int intermediate, int heads, string activation, double eps, int layerCount) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(width, heads, layerCount);
        layer_norm1 = LayerNorm(width, eps);
        mlp = new ClipMlp(width, intermediate, activation, layerCount);
        layer_norm2 = LayerNorm(width, eps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, bool causal)
    {
        x = x + self_attn.forward(layer_norm1.forward(x), causal);
        return x + mlp.forward(layer_norm2.forward(x));
    }
}
