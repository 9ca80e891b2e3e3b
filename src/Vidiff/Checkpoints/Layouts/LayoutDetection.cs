namespace Vidiff.Checkpoints.Layouts;

/// <summary>Which public layout a weights file is in, from its key names alone.</summary>
public static class LayoutDetection
{
    public static CheckpointLayout Detect(SafetensorsFile file)
    {
        var keys = file.Keys;
        bool Any(string prefix) => keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
        if (Any(LdmStableDiffusion.UnetPrefix) || Any(LdmStableDiffusion.AutoencoderPrefix)) return CheckpointLayout.StableDiffusionSingleFile;
        if (Any("down_blocks.") && Any("time_embedding.")) return CheckpointLayout.DiffusersUnet;
        if (Any("encoder.down_blocks.") && Any("decoder.up_blocks.")) return CheckpointLayout.DiffusersAutoencoder;
        if (keys.Contains("prd_embedding") || (Any("transformer_blocks.") && Any("proj_to_clip_embeddings."))) return CheckpointLayout.DiffusersPrior;
        if (Any("text_model.") && Any("vision_model.")) return CheckpointLayout.TransformersClip;
        if (Any("text_model.")) return CheckpointLayout.TransformersClipText;
        if (Any("vision_model.")) return CheckpointLayout.TransformersClipVision;
        if (Any("dpt.embeddings.backbone.") && Any("neck.")) return CheckpointLayout.TransformersDptHybrid;
        if (Any("dpt.") && Any("neck.")) return CheckpointLayout.TransformersDpt;
        if (Any("backbone.") && Any("neck.") && Any("head.")) return CheckpointLayout.TransformersDepthAnything;
        return CheckpointLayout.Unknown;
    }

    public static string Describe(CheckpointLayout layout) => layout switch
    {
        CheckpointLayout.StableDiffusionSingleFile => "Stable Diffusion single file (original LDM layout: model.diffusion_model.*, first_stage_model.*)",
        CheckpointLayout.DiffusersUnet => "diffusers UNet2DConditionModel",
        CheckpointLayout.DiffusersAutoencoder => "diffusers AutoencoderKL",
        CheckpointLayout.DiffusersPrior => "diffusers PriorTransformer",
        CheckpointLayout.TransformersClip => "transformers CLIPModel (text and vision towers with projections)",
        CheckpointLayout.TransformersClipText => "transformers CLIP text tower",
        CheckpointLayout.TransformersClipVision => "transformers CLIP vision tower",
        CheckpointLayout.TransformersDpt => "transformers DPTForDepthEstimation",
        CheckpointLayout.TransformersDptHybrid => "transformers DPTForDepthEstimation, DPT-Hybrid (ViT on a BiT ResNet)",
        CheckpointLayout.TransformersDepthAnything => "transformers DepthAnythingForDepthEstimation",
        _ => "unknown layout",
    };
}
