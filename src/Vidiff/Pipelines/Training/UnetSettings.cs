namespace Vidiff.Pipelines.Training;

/// <summary>
/// The UNet stage's own knobs. Joint image–video training (paper §2): <see cref="ImageShare"/> of the steps are image
/// batches (one-frame videos), the rest clips of MinFrames..MaxFrames frames; content is dropped to the null embedding
/// with probability <see cref="ContentDrop"/> (paper §4: 0.1); <see cref="MinSnrGamma"/> weights the loss by min-SNR-γ
/// (null: plain L2). t_s is drawn from 0..<see cref="MaxStructureLevel"/> (null: the model's T_s), so a first phase at 0
/// alone gives the paper's curriculum of full structure before obscured structure.
/// </summary>
public sealed record UnetSettings(double ImageShare = 0.25, int MinFrames = 8, int MaxFrames = 16, double ContentDrop = 0.1, double? MinSnrGamma = 5.0,
    int? MaxStructureLevel = null);
