namespace Vidiff.Pipelines.Training;

/// <summary>
/// The UNet stage's own knobs. Joint image–video training (paper §2): <see cref="ImageShare"/> of the steps are image
/// batches (one-frame videos), the rest clips of MinFrames..MaxFrames frames; content is dropped to the null embedding
/// with probability <see cref="ContentDrop"/> (paper §4: 0.1); <see cref="MinSnrGamma"/> weights the loss by min-SNR-γ
/// (null: plain L2). t_s is drawn from 0..<see cref="MaxStructureLevel"/> (null: the model's T_s), so a first phase at 0
/// alone gives the paper's curriculum of full structure before obscured structure. <see cref="HighNoiseShare"/> of the
/// samples take t from the noisiest tenth of the schedule (our choice; 0 is the paper's uniform t): there the latents
/// hold almost nothing of the layout, so structure is its only source (§3), and uniform t gives these steps a tenth of
/// the batch and the least loss weight. <see cref="MirroredContentShare"/> of the samples take their content from the
/// frame's mirror image (our choice; 0 is the paper's): a small CLIP's image embedding also says where things are, and a
/// UNet that can read the layout from content learns to ignore structure, then draws blobs at edit time, when content
/// comes from a prompt through the prior and carries no layout; mirrored content keeps the appearance and contradicts
/// the layout, which only structure then gives. <see cref="Init"/>: a UNet weights file to start from instead of the
/// random start (a phase on from an earlier model); the paths a config adds that the file lacks, the structure
/// convolutions, start at zero as they do in a fresh network, so the start predicts exactly what the earlier model did.
/// <see cref="FreezeSpatial"/> trains the temporal layers alone (<see cref="Unet.SpatioTemporalUnet.IsTemporal"/>), as the
/// paper adds them to a trained image model; the temporal layers skip single frames, so image batches would teach them
/// nothing and a frozen run takes video batches only.
/// </summary>
public sealed record UnetSettings(double ImageShare = 0.25, int MinFrames = 8, int MaxFrames = 16, double ContentDrop = 0.1, double? MinSnrGamma = 5.0,
    int? MaxStructureLevel = null, double HighNoiseShare = 0, double MirroredContentShare = 0, string? Init = null, bool FreezeSpatial = false);
