using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPVisionTransformer (the `vision_model.` prefix; `pre_layrnorm` is spelled as upstream).</summary>
public sealed class ClipVisionTransformer : Module<Tensor, (Tensor Hidden, Tensor Pooled)>
{
    readonly ClipVisionEmbeddings embeddings;
    readonly LayerNorm pre_layrnorm, post_layernorm;
    readonly ClipEncoder encoder;

    public ClipVisionTransformer(ClipVisionConfig config) : base(nameof(ClipVisionTransformer))
    {
        embeddings = new ClipVisionEmbeddings(config);
        pre_layrnorm = LayerNorm(config.HiddenSize, config.LayerNormEps);
        encoder = new ClipEncoder(config.HiddenSize, config.IntermediateSize, config.NumHiddenLayers,
            config.NumAttentionHeads, config.HiddenAct, config.LayerNormEps);
        post_layernorm = LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    /// <returns>Last hidden states [B, 1+N, D] (not normed) and the post-normed class token [B, D].</returns>
    public override (Tensor Hidden, Tensor Pooled) forward(Tensor pixels)
    {
        var hidden = encoder.forward(pre_layrnorm.forward(embeddings.forward(pixels)), causal: false);
        return (hidden, post_layernorm.forward(hidden[.., 0]));
    }
}
