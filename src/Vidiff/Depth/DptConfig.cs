namespace Vidiff.Depth;

/// <summary>
/// Shape of a DPT depth estimator (paper §3.3: structure comes from MiDaS DPT-Large depth). Field meanings follow
/// Hugging Face's DPTConfig / DepthAnythingConfig so public checkpoints load 1:1.
/// </summary>
/// <param name="ImageSize">Pixel size the position embeddings were trained at; also the preprocessing target size.</param>
/// <param name="OutLayers">Encoder layers (0-based) whose outputs feed the neck. DPT's backbone_out_indices use this
/// convention; DINOv2's out_indices count the embeddings as stage 0, so they are one larger.</param>
/// <param name="ResizeMultiple">Preprocessing keeps the aspect ratio and rounds each side to a multiple of this.</param>
/// <param name="Bit">DPT-Hybrid's ResNet (<see cref="DptBackbone.VitHybrid"/> only): its first two feature maps are the
/// neck's first two inputs, its third becomes the tokens, so only the last two <paramref name="OutLayers"/> are read.</param>
public sealed record DptConfig(
    DptBackbone Backbone,
    int ImageSize,
    int PatchSize,
    int HiddenSize,
    int Layers,
    int Heads,
    int IntermediateSize,
    int[] OutLayers,
    int[] NeckHiddenSizes,
    int FusionHiddenSize,
    double LayerNormEps,
    int ResizeMultiple,
    float[] Mean,
    float[] Std,
    int HeadHiddenSize = 32,
    BitConfig? Bit = null)
{
    static readonly float[] Half = [0.5f, 0.5f, 0.5f];

    /// <summary>MiDaS v3 DPT-Large (Intel/dpt-large): the estimator the paper uses.</summary>
    public static DptConfig DptLarge { get; } = new(DptBackbone.Vit, 384, 16, 1024, 24, 16, 4096,
        [5, 11, 17, 23], [256, 512, 1024, 1024], 256, 1e-12, 32, Half, Half);

    /// <summary>Depth Anything V2 small (public out_indices [3, 6, 9, 12]).</summary>
    public static DptConfig DepthAnythingV2Small { get; } = new(DptBackbone.Dinov2, 518, 14, 384, 12, 6, 1536,
        [2, 5, 8, 11], [48, 96, 192, 384], 64, 1e-6, 14, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>For tests: seconds on a CPU.</summary>
    public static DptConfig Tiny { get; } = new(DptBackbone.Vit, 32, 8, 16, 4, 2, 32,
        [0, 1, 2, 3], [4, 8, 16, 16], 8, 1e-12, 16, Half, Half);

    /// <summary>The bundled model's estimator: 64×64 frames, an 8×8 token grid; 1.1M parameters (the mini model's 20M budget).</summary>
    public static DptConfig Mini { get; } = new(DptBackbone.Vit, 64, 8, 96, 4, 4, 384,
        [0, 1, 2, 3], [32, 48, 64, 96], 48, 1e-12, 16, Half, Half);

    /// <summary>
    /// Size the model sees for a frame of height × width: scale as little as possible while keeping the aspect ratio so
    /// that one side lands on <see cref="ImageSize"/>, then round each side to <see cref="ResizeMultiple"/>
    /// (DPTImageProcessor with keep_aspect_ratio; Python's round is to even, as is Math.Round's default).
    /// </summary>
    public (int Height, int Width) ProcessingSize(int height, int width)
    {
        double scaleH = (double)ImageSize / height, scaleW = (double)ImageSize / width;
        double scale = Math.Abs(1 - scaleW) < Math.Abs(1 - scaleH) ? scaleW : scaleH;
        int Round(double v)
        {
            int x = (int)Math.Round(v / ResizeMultiple) * ResizeMultiple;
            return x < ResizeMultiple ? ResizeMultiple : x;
        }
        return (Round(scale * height), Round(scale * width));
    }
}
