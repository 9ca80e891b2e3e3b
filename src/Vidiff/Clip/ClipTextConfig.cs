namespace Vidiff.Clip;

/// <summary>
/// The CLIP text tower as in transformers' CLIPTextConfig. <see cref="EosTokenId"/> picks the pooled position
/// (the text embedding of paper §4 is the projected hidden state at the end-of-text token).
/// </summary>
public sealed record ClipTextConfig(
    int VocabSize,
    int MaxPositionEmbeddings,
    int HiddenSize,
    int IntermediateSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    string HiddenAct,
    int EosTokenId,
    double LayerNormEps = 1e-5);
