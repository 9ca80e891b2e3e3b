using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// The starting noise z_T of a clip with a share λ of it common to every frame, PYoCo's mixed noise:
/// √(1 − λ) ε_f + √λ ε, ε one noise image for all frames. Each frame's noise is still N(0, I); frames start correlated by
/// λ, so an image model (or untrained temporal layers) starts every frame from nearly the same point.
/// </summary>
public static class SharedNoise
{
    /// <param name="shape">[B, C, F, h, w].</param>
    /// <param name="share">λ in [0, 1]: 0 independent frames, 1 one noise image repeated.</param>
    public static Tensor Sample(long[] shape, double share, Generator generator)
    {
        if (!(share >= 0 && share <= 1)) throw new ArgumentOutOfRangeException(nameof(share), share, "λ, the share of the noise common to all frames, is in [0, 1]");
        using var scope = NewDisposeScope();
        var frames = randn(shape, generator: generator);
        // At λ = 0 nothing more is drawn, so the clip starts from the same noise as without the option.
        if (share == 0) return frames.MoveToOuterDisposeScope();
        long[] one = [shape[0], shape[1], 1, shape[3], shape[4]];
        var common = randn(one, generator: generator);
        return (Math.Sqrt(1 - share) * frames + Math.Sqrt(share) * common).MoveToOuterDisposeScope();
    }
}
