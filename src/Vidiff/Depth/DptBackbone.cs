namespace Vidiff.Depth;

/// <summary>The ViT flavour under the DPT neck: plain ViT as in MiDaS DPT-Large, or DINOv2 (layer scale) as in Depth Anything.</summary>
public enum DptBackbone
{
    Vit,
    Dinov2,
}
