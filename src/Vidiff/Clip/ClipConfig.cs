namespace Vidiff.Clip;

/// <summary>
/// Both CLIP towers and their shared embedding space (paper §4: content c is a CLIP image embedding;
/// a text prompt reaches that space through the text tower and the prior).
/// </summary>
public sealed record ClipConfig(ClipTextConfig Text, ClipVisionConfig Vision, int ProjectionDim, double LogitScaleInit = 2.6592)
{
    /// <summary>OpenAI CLIP ViT-L/14, the encoder the paper uses (openai/clip-vit-large-patch14).</summary>
    public static ClipConfig VitL14 { get; } = new(
        new ClipTextConfig(49408, 77, 768, 3072, 12, 12, "quick_gelu", EosTokenId: 2),
        new ClipVisionConfig(224, 14, 1024, 4096, 24, 16, "quick_gelu"),
        ProjectionDim: 768);

    /// <summary>OpenCLIP ViT-H/14 (laion2b), the encoder of Stable Diffusion 2 / unCLIP.</summary>
    public static ClipConfig VitH14 { get; } = new(
        new ClipTextConfig(49408, 77, 1024, 4096, 24, 16, "gelu", EosTokenId: 2),
        new ClipVisionConfig(224, 14, 1280, 5120, 32, 16, "gelu"),
        ProjectionDim: 1024);

    /// <summary>A few thousand parameters, for tests.</summary>
    public static ClipConfig Tiny { get; } = new(
        new ClipTextConfig(99, 16, 32, 64, 2, 4, "quick_gelu", EosTokenId: 98),
        new ClipVisionConfig(32, 8, 32, 64, 2, 4, "quick_gelu"),
        ProjectionDim: 24);

    /// <summary>
    /// The bundled model's CLIP: 64×64 frames in 8×8 patches, trained on the procedural world.
    /// The vocabulary and end-of-text id follow the mini tokenizer; pass them in. About 2.8M parameters (vocabulary 1024).
    /// </summary>
    public static ClipConfig Mini(int vocabSize, int eosTokenId, int maxLength = 77) => new(
        new ClipTextConfig(vocabSize, maxLength, 256, 512, 2, 4, "quick_gelu", eosTokenId),
        new ClipVisionConfig(64, 8, 192, 768, 3, 4, "quick_gelu"),
        ProjectionDim: 256);
}
