using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPMLP: fc1, activation (OpenAI's quick_gelu or OpenCLIP's exact gelu), fc2.</summary>
public sealed class ClipMlp : Module<Tensor, Tensor>
{
    readonly Linear fc1, fc2;
    readonly Func<Tensor, Tensor> act;

    public ClipMlp(int width, int hidden, string activation, int layerCount) : base(nameof(ClipMlp))
    {
        fc1 = Linear(width, hidden);
        fc2 = Linear(hidden, width);
        // transformers' _init_weights.
        using (no_grad())
        {
            init.normal_(fc1.weight!, 0, Math.Pow(2 * width, -0.5));
            init.normal_(fc2.weight!, 0, Math.Pow(width, -0.5) * Math.Pow(2 * layerCount, -0.5));
            init.zeros_(fc1.bias!);
            init.zeros_(fc2.bias!);
        }
        act = activation switch
        {
            "quick_gelu" => x => x * functional.sigmoid(x * 1.702),
            "gelu" => x => functional.gelu(x),
            _ => throw new ArgumentException($"CLIP activation '{activation}' is not supported; expected 'quick_gelu' or 'gelu'.", nameof(activation)),
        };
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc2.forward(act(fc1.forward(x)));
}
