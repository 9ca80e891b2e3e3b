using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>
/// transformers' CLIPTextModelWithProjection (keys text_model.* and text_projection.weight), or without a projection
/// width its CLIPTextModel (text_model.* only: the text encoder of Stable Diffusion, whose UNet reads the hidden states).
/// </summary>
public sealed class ClipTextModel : Module<Tensor, ClipTextOutput>
{
    internal readonly ClipTextTransformer text_model;
    internal readonly Linear? text_projection;

    public ClipTextModel(ClipTextConfig config, int? projectionDim) : base(nameof(ClipTextModel))
    {
        text_model = new ClipTextTransformer(config);
        if (projectionDim is int width)
        {
            text_projection = Linear(config.HiddenSize, width, hasBias: false);
            using (no_grad()) init.normal_(text_projection.weight!, 0, Math.Pow(config.HiddenSize, -0.5));
        }
        RegisterComponents();
    }

    /// <param name="ids">[B, T] int64 token ids.</param>
    /// <returns>The hidden states and the projected pooled state (the pooled state itself without a projection).</returns>
    public override ClipTextOutput forward(Tensor ids)
    {
        var (hidden, pooled) = text_model.forward(ids);
        return new ClipTextOutput(hidden, text_projection is null ? pooled : text_projection.forward(pooled));
    }
}
