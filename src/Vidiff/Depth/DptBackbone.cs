namespace Vidiff.Depth;

/// <summary>The backbone under the DPT neck: plain ViT as in MiDaS DPT-Large, ViT on BiT ResNet features as in MiDaS
/// DPT-Hybrid, or DINOv2 (layer scale) as in Depth Anything.</summary>
public enum DptBackbone
{
    Vit,
    Dinov2,
    VitHybrid,
}
