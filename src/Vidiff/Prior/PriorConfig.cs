namespace Vidiff.Prior;

/// <summary>
/// diffusers' PriorTransformer config (Karlo/unCLIP layout) and the sampler settings of its pipeline.
/// The prior maps a CLIP text embedding to a CLIP image embedding (paper §4).
/// </summary>
public sealed record PriorConfig(
    int NumAttentionHeads,
    int AttentionHeadDim,
    int NumLayers,
    int EmbeddingDim,
    int NumEmbeddings,
    int AdditionalEmbeddings = 4,
    int TrainTimesteps = 1000,
    int SamplingSteps = 25,
    double GuidanceScale = 4.0,
    double ClipSampleRange = 5.0)
{
    public int InnerDim => NumAttentionHeads * AttentionHeadDim;

    /// <summary>kakaobrain/karlo-v1-alpha's prior (over CLIP ViT-L/14 embeddings), with its pipeline's defaults.</summary>
    public static PriorConfig Karlo { get; } = new(32, 64, 20, 768, 77);

    /// <summary>For tests.</summary>
    public static PriorConfig Tiny { get; } = new(2, 8, 2, 24, 16, SamplingSteps: 5);

    /// <summary>The bundled model's prior over the mini CLIP's 256-wide embeddings; 4 layers 128 wide, about 1M parameters.</summary>
    public static PriorConfig Mini(int textLength = 77) => new(4, 32, 4, 256, textLength);
}
