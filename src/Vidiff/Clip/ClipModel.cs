using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>
/// transformers' CLIPModel: both towers, their projections and <c>logit_scale</c>, with keys as in the public
/// checkpoints (text_model.*, vision_model.*, text_projection.weight, visual_projection.weight, logit_scale).
/// Gives the content embeddings of paper §4 and the similarities of the consistency metrics of §8.
/// Fresh weights follow transformers' _init_weights, so the mini CLIP trains from CLIP's own starting point.
/// </summary>
public sealed class ClipModel : Module
{
    public ClipConfig Config { get; }
    public ClipTextModel Text { get; }
    public ClipVisionModel Vision { get; }
    readonly Parameter logit_scale;

    public ClipModel(ClipConfig config) : base(nameof(ClipModel))
    {
        Config = config;
        Text = new ClipTextModel(config.Text, config.ProjectionDim);
        Vision = new ClipVisionModel(config.Vision, config.ProjectionDim);
        logit_scale = Parameter(tensor((float)config.LogitScaleInit));
        // Registered child by child so the keys stay flat, as in CLIPModel.
        register_module("text_model", Text.text_model);
        register_module("vision_model", Vision.vision_model);
        register_module("text_projection", Text.text_projection!);
        register_module("visual_projection", Vision.visual_projection);
        register_parameter("logit_scale", logit_scale);
    }

    /// <summary>Per-token hidden states and the projected text embedding of [B, T] token ids.</summary>
    public ClipTextOutput EncodeTextFull(Tensor ids) => Text.forward(ids);

    /// <summary>Projected text embeddings [B, P] (not normalised).</summary>
    public Tensor EncodeText(Tensor ids) => Text.forward(ids).TextEmbeds;

    /// <summary>Projected image embeddings [N, P] (not normalised) of frames [N, 3, H, W] in [-1, 1].</summary>
    public Tensor EncodeImage(Tensor frames) =>
        Vision.forward(ClipImagePreprocessor.Preprocess(frames, Config.Vision.ImageSize));

    /// <summary>Unit-length embeddings, so that dot products are the cosine similarities CLIP is trained on.</summary>
    public static Tensor Normalize(Tensor embeds) => embeds / embeds.norm(-1, keepdim: true);

    /// <summary>
    /// CLIP's symmetric contrastive loss over a batch of matching (text, image) pairs: cross-entropy of the scaled
    /// cosine similarities against the diagonal, averaged over both directions.
    /// </summary>
    public Tensor ContrastiveLoss(Tensor textEmbeds, Tensor imageEmbeds)
    {
        var logitsPerText = matmul(Normalize(textEmbeds), Normalize(imageEmbeds).t()) * logit_scale.exp();
        var labels = arange(logitsPerText.shape[0], device: logitsPerText.device);
        return (functional.cross_entropy(logitsPerText, labels) + functional.cross_entropy(logitsPerText.t(), labels)) / 2;
    }
}
