namespace Vidiff.Checkpoints.Layouts;

/// <summary>The public key layouts we import, told apart by their key names (see <see cref="LayoutDetection"/>).</summary>
public enum CheckpointLayout
{
    Unknown,
    /// <summary>Original latent-diffusion single file: model.diffusion_model.*, first_stage_model.*, cond_stage_model.*.</summary>
    StableDiffusionSingleFile,
    DiffusersUnet,
    DiffusersAutoencoder,
    DiffusersPrior,
    TransformersClip,
    TransformersClipText,
    TransformersClipVision,
    TransformersDpt,
    /// <summary>DPTForDepthEstimation with is_hybrid (MiDaS DPT-Hybrid): dpt.embeddings.backbone.bit.* holds its ResNet.</summary>
    TransformersDptHybrid,
    TransformersDepthAnything,
}
