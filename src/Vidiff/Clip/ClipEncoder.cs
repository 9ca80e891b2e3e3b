using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPEncoder: the stack of encoder layers, named encoder.layers.i.</summary>
public sealed class ClipEncoder : Module<Tensor, bool, Tensor>
{
    readonly ModuleList<ClipEncoderLayer> layers = new();

    public ClipEncoder(int width, int intermediate, int layerCount, int heads, string activation, double eps) : base(nameof(ClipEncoder))
    {
        for (int i = 0; i < layerCount; i++)
            layers.Add(new ClipEncoderLayer(width, intermediate, heads, activation, eps, layerCount));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, bool causal)
    {
        foreach (var layer in layers) x = layer.forward(x, causal);
        return x;
    }
}
