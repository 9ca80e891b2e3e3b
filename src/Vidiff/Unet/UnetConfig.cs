namespace Vidiff.Unet;

/// <summary>Shape of the spatio-temporal UNet (paper §2); the spatial part is Stable Diffusion's UNet2DConditionModel.</summary>
/// <param name="BlockChannels">Channels per resolution level.</param>
/// <param name="Transformers">Which levels have spatial transformers (and so temporal attention).</param>
/// <param name="StructureChannels">Structure channels concatenated to the latents (paper §3: 1, depth).</param>
/// <param name="AttentionHeads">Heads per transformer (Stable Diffusion 1.x: 8), used unless AttentionHeadDim is set.</param>
/// <param name="AttentionHeadDim">Fixed width per head (Stable Diffusion 2: 64); heads = channels / head dim.</param>
/// <param name="ContentDim">Width of the content tokens, the cross-attention dimension (paper §4).</param>
/// <param name="ContentTokens">K: each content token is projected to K tokens by content_proj when K > 1.</param>
/// <param name="LinearProjection">Transformers project with Linear layers (Stable Diffusion 2) instead of 1×1 convolutions.</param>
/// <param name="MaxFrames">Frames with a learned position encoding in the temporal attention.</param>
/// <param name="StructureAtEveryLevel">Structure also enters every resolution level of the down path, resized to it and
/// added through a zero-initialised convolution (our deviation from §3, docs/architecture.md "Choices"); false is the
/// paper's and the public checkpoints' UNet, structure concatenated at the input only.</param>
public sealed record UnetConfig(
    int[] BlockChannels,
    bool[] Transformers,
    int LayersPerBlock = 2,
    int LatentChannels = 4,
    int StructureChannels = 1,
    int OutChannels = 4,
    int AttentionHeads = 8,
    int? AttentionHeadDim = null,
    int TransformerDepth = 1,
    int ContentDim = 768,
    int ContentTokens = 1,
    bool LinearProjection = false,
    int MaxFrames = 32,
    int NormGroups = 32,
    bool StructureAtEveryLevel = false)
{
    /// <summary>For tests: a few hundred thousand parameters, milliseconds at an 8×8 latent.</summary>
    public static UnetConfig Tiny => new([16, 32], [true, true], LayersPerBlock: 1, AttentionHeads: 2, ContentDim: 32, MaxFrames: 16, NormGroups: 8);

    /// <summary>
    /// The bundled model: 16×16 latents (64×64 px), 11.9M parameters (the 20M budget of the whole mini model leaves it
    /// about 12M); 4 content tokens so cross-attention can select; structure at every level (docs/training.md, "Reading
    /// structure").
    /// </summary>
    public static UnetConfig Mini => new([64, 96, 160], [true, true, true], LayersPerBlock: 1, AttentionHeadDim: 32, ContentDim: 256, ContentTokens: 4,
        StructureAtEveryLevel: true);

    /// <summary>Stable Diffusion 1.5's UNet with depth concatenated (4 + 1 input channels).</summary>
    public static UnetConfig Sd15 => new([320, 640, 1280, 1280], [true, true, true, false]);

    /// <summary>Stable Diffusion 2's depth UNet (stable-diffusion-2-depth: depth concatenated, 4 + 1 input channels; heads of
    /// 64; linear projections; OpenCLIP ViT-H's 1024-wide tokens), the shape of a full-size Gen-1 (`vidiff bench --edit-step`).</summary>
    public static UnetConfig Sd2Depth => new([320, 640, 1280, 1280], [true, true, true, false], AttentionHeadDim: 64, ContentDim: 1024, LinearProjection: true);

    public int InChannels => LatentChannels + StructureChannels;

    /// <summary>Whether any frame's pixels attend to each other, which cross-frame attention extends: the middle block
    /// always has a spatial transformer, so only transformers without blocks leave none.</summary>
    public bool HasSpatialSelfAttention => TransformerDepth > 0;

    public int TimeDim => 4 * BlockChannels[0];

    public int HeadsFor(int channels) => AttentionHeadDim is int d ? channels / d : AttentionHeads;
}
