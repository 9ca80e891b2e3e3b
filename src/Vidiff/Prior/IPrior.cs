using static TorchSharp.torch;

namespace Vidiff.Prior;

/// <summary>Maps CLIP text embeddings to CLIP image embeddings (paper §4: text content through a prior).</summary>
public interface IPrior
{
    /// <param name="textEmbed">[B, E] projected CLIP text embeddings.</param>
    /// <param name="textHidden">[B, T, E] CLIP text hidden states.</param>
    /// <param name="generator">Randomness for sampling priors; null uses the global generator.</param>
    /// <param name="textMask">[B, T] true on real (non-padding) tokens; null means all.</param>
    /// <returns>[B, E] CLIP image embeddings (unnormalised, as the vision tower's projection gives them).</returns>
    Tensor Sample(Tensor textEmbed, Tensor textHidden, Generator? generator = null, Tensor? textMask = null);
}
