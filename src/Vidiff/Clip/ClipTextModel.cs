using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPTextModelWithProjection: keys text_model.* and text_projection.weight.</summary>
public sealed class ClipTextModel : Module<Tensor, ClipTextOutput>
{
    internal readonly ClipTextTransformer text_model;
    internal readonly Linear text_projection;

    public ClipTextModel(ClipTextConfig config, int projectionDim) : base(nameof(ClipTextModel))
    {
        text_model = new ClipTextTransformer(config);
        text_projection = Linear(config.HiddenSize, projectionDim, hasBias: false);
        using (no_grad()) init.normal_(text_projection.weight!, 0, Math.Pow(config.HiddenSize, -0.5));
        RegisterComponents();
    }

    /// <param name="ids">[B, T] int64 token ids.</param>
    public override ClipTextOutput forward(Tensor ids)
    {
        var (hidden, pooled) = text_model.forward(ids);
        return new ClipTextOutput(hidden, text_projection.forward(pooled));
    }
}
