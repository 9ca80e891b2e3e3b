using TorchSharp;
using Vidiff.Depth;
using static TorchSharp.torch;

namespace Vidiff.Tests.Depth;

public class DepthMetricsTests
{
    static Tensor Depth()
    {
        manual_seed(0);
        return 1 + 4 * rand(2, 1, 12, 12);
    }

    [Fact]
    public void AffineDisparityScoresZero()
    {
        using var depth = Depth();
        using var prediction = 7 / depth + 0.3f;
        Assert.True(DepthMetrics.AbsRelScaleShiftInvariant(prediction, depth) < 1e-6);
    }

    [Fact]
    public void AffineDepthScoresZeroInDepthSpace()
    {
        using var depth = Depth();
        using var prediction = 0.5f * depth - 2;
        Assert.True(DepthMetrics.AbsRelScaleShiftInvariant(prediction, depth, space: DepthAlignment.Depth) < 1e-6);
    }

    [Fact]
    public void ErrorGrowsWithNoise()
    {
        using var depth = Depth();
        using var clean = 1 / depth;
        manual_seed(1);
        using var noise = randn_like(clean);
        var scores = new[] { 0.01f, 0.05f, 0.2f }.Select(s => DepthMetrics.AbsRelScaleShiftInvariant(clean + s * noise, depth)).ToArray();
        Assert.True(scores[0] > 1e-4, $"small noise scored {scores[0]}");
        Assert.True(scores[0] < scores[1] && scores[1] < scores[2], string.Join(", ", scores));
    }

    [Fact]
    public void InvalidDepthIsIgnored()
    {
        using var depth = Depth();
        using var prediction = 1 / depth;
        depth[0, 0, 0, 0] = 0f; // no measurement
        prediction[0, 0, 0, 0] = 50f;
        Assert.True(DepthMetrics.AbsRelScaleShiftInvariant(prediction, depth) < 1e-6);
    }

    [Fact]
    public void RegionScoresThePixelsAWholeFrameMeanHides()
    {
        // A floor that recedes with the row, and a near object on 4 of 144 pixels that the prediction leaves out.
        using var floor = (2 + arange(12, dtype: float32).view(1, 1, 12, 1) / 2).expand(2, 1, 12, 12).contiguous();
        using var objects = zeros(2, 1, 12, 12, dtype: @bool);
        objects[.., .., TensorIndex.Slice(8, 10), TensorIndex.Slice(4, 6)] = true;
        using var depth = where(objects, full_like(floor, 1.5f), floor);
        using var prediction = 1 / floor;
        double whole = DepthMetrics.AbsRelScaleShiftInvariant(prediction, depth);
        double onObjects = DepthMetrics.AbsRelScaleShiftInvariant(prediction, depth, region: objects);
        Assert.True(whole < 0.2, $"whole frame {whole}");
        Assert.True(onObjects > 1, $"objects {onObjects}");
        Assert.True(DepthMetrics.AbsRelScaleShiftInvariant(1 / depth, depth, region: objects) < 1e-6);
    }

    [Fact]
    public void AlignmentRecoversScaleAndShift()
    {
        using var target = Depth().squeeze(1);
        using var aligned = DepthMetrics.AlignScaleShift(target * -2 + 5, target);
        Assert.True(aligned.allclose(target, atol: 1e-4));
    }
}
