namespace Vidiff.Autoencoder;

/// <summary>Shape of the KL autoencoder of latent diffusion (paper §1); each level after the first halves the resolution.</summary>
/// <param name="ScalingFactor">Latents are multiplied by this so diffusion sees roughly unit variance.</param>
public sealed record AutoencoderConfig(
    int[] BlockChannels,
    int LayersPerBlock = 2,
    int LatentChannels = 4,
    int NormGroups = 32,
    double ScalingFactor = 0.18215,
    int ImageChannels = 3)
{
    /// <summary>For tests: latent stride 2.</summary>
    public static AutoencoderConfig Tiny => new([16, 32], LayersPerBlock: 1, NormGroups: 8);

    /// <summary>The bundled model: latent stride 4, 64×64 frames to 16×16×4 latents; 2.7M parameters.</summary>
    public static AutoencoderConfig Mini => new([32, 64, 128], LayersPerBlock: 1);

    /// <summary>Stable Diffusion's autoencoder: latent stride 8.</summary>
    public static AutoencoderConfig Sd => new([128, 256, 512, 512]);

    public int Stride => 1 << (BlockChannels.Length - 1);
}
