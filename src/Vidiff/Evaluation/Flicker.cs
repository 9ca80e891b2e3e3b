using static TorchSharp.torch;

namespace Vidiff.Evaluation;

/// <summary>
/// Flicker of the output where the input holds still (paper §5: temporal guidance should suppress it): over pixels
/// outside the objects whose input barely changes between consecutive frames, the mean |Δ output| (0..1 units).
/// </summary>
public static class Flicker
{
    /// <summary>A pixel is static when no input channel moves by more than two 8-bit levels between the frames.</summary>
    public const double StillInput = 2.0 / 255;

    /// <param name="input">[F, 3, H, W] in [−1, 1].</param>
    /// <param name="output">The edit of <paramref name="input"/>, same shape.</param>
    /// <param name="objects">[F, H, W], non-zero on objects.</param>
    /// <returns>Mean absolute change, or NaN when the clip has no static background pixel.</returns>
    public static double Measure(Tensor input, Tensor output, Tensor objects)
    {
        if (!input.shape.SequenceEqual(output.shape) || input.shape[0] < 2)
            throw new ArgumentException($"Input [{string.Join(", ", input.shape)}] and output [{string.Join(", ", output.shape)}] must have one shape with at least 2 frames.");
        using var scope = NewDisposeScope();
        var dIn = (input[1..] - input[..^1]).abs().amax([1]) / 2;
        var background = objects[1..].eq(0).logical_and(objects[..^1].eq(0));
        var still = dIn.le(StillInput).logical_and(background).to(float64);
        double count = still.sum().item<double>();
        if (count == 0) return double.NaN;
        var dOut = (output[1..] - output[..^1]).abs().to(float64).mean([1]) / 2;
        return (dOut * still).sum().item<double>() / count;
    }
}
