using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPVisionModelWithProjection: keys vision_model.* and visual_projection.weight.</summary>
public sealed class ClipVisionModel : Module<Tensor, Tensor>
{
    internal readonly ClipVisionTransformer vision_model;
    internal readonly Linear visual_projection;

    public ClipVisionModel(ClipVisionConfig config, int projectionDim) : base(nameof(ClipVisionModel))
    {
        vision_model = new ClipVisionTransformer(config);
        visual_projection = Linear(config.HiddenSize, projectionDim, hasBias: false);
        using (no_grad()) init.normal_(visual_projection.weight!, 0, Math.Pow(config.HiddenSize, -0.5));
        RegisterComponents();
    }

    /// <param name="pixels">[B, 3, S, S] CLIP-normalised pixels.</param>
    /// <returns>The projected image embedding [B, P] (paper §4's content c), not normalised.</returns>
    public override Tensor forward(Tensor pixels) => visual_projection.forward(vision_model.forward(pixels).Pooled);
}
