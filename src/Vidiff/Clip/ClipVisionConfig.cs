namespace Vidiff.Clip;

/// <summary>The CLIP vision tower (a ViT) as in transformers' CLIPVisionConfig.</summary>
public sealed record ClipVisionConfig(
    int ImageSize,
    int PatchSize,
    int HiddenSize,
    int IntermediateSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    string HiddenAct,
    double LayerNormEps = 1e-5)
{
    public int NumPositions => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;
}
