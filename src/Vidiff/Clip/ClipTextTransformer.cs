using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>
/// transformers' CLIPTextTransformer (the `text_model.` prefix): causal transformer over token ids,
/// pooled at the end-of-text token.
/// </summary>
public sealed class ClipTextTransformer : Module<Tensor, (Tensor Hidden, Tensor Pooled)>
{
    /// <summary>OpenAI's end-of-text id, the largest id of its vocabulary.</summary>
    const long OpenAiEndOfText = 49407;

    readonly ClipTextEmbeddings embeddings;
    readonly ClipEncoder encoder;
    readonly LayerNorm final_layer_norm;
    readonly long eosTokenId;

    public ClipTextTransformer(ClipTextConfig config) : base(nameof(ClipTextTransformer))
    {
        embeddings = new ClipTextEmbeddings(config);
        encoder = new ClipEncoder(config.HiddenSize, config.IntermediateSize, config.NumHiddenLayers,
            config.NumAttentionHeads, config.HiddenAct, config.LayerNormEps);
        final_layer_norm = LayerNorm(config.HiddenSize, config.LayerNormEps);
        eosTokenId = config.EosTokenId;
        RegisterComponents();
    }

    /// <param name="ids">[B, T] int64 token ids, each row holding an end-of-text token.</param>
    /// <returns>Final-layer-normed hidden states [B, T, D] and the pooled state [B, D].</returns>
    public override (Tensor Hidden, Tensor Pooled) forward(Tensor ids)
    {
        var hidden = final_layer_norm.forward(encoder.forward(embeddings.forward(ids), causal: true));
        return (hidden, hidden.gather(1, EndOfTextPosition(ids).view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1));
    }

    /// <summary>
    /// As transformers' modeling_clip.py: when every row's largest id is OpenAI's end-of-text (configs written before
    /// transformers PR #24773 carry eos_token_id = 2), the argmax id; otherwise the first occurrence of eos_token_id.
    /// </summary>
    Tensor EndOfTextPosition(Tensor ids)
    {
        if (ids.max(1).values.eq(OpenAiEndOfText).all().item<bool>())
            return ids.argmax(1);
        var isEos = ids.eq(eosTokenId);
        if (!isEos.any(1).all().item<bool>())
            throw new ArgumentException($"Every token sequence must contain the end-of-text id {eosTokenId}; at least one does not.", nameof(ids));
        return isEos.to(ScalarType.Int32).argmax(1);
    }
}
