using Vidiff.Depth;
using Vidiff.Evaluation;
using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Tests.Evaluation;

public class StructureTests
{
    [Fact]
    public void SsiAbsRelIsZeroForAnAffineCopyOfTheDisparity()
    {
        var depth = linspace(2, 20, 2 * 8 * 8).view(2, 1, 8, 8);
        Assert.Equal(0, DepthMetrics.AbsRelScaleShiftInvariant(3 / depth + 0.5, depth), 6);
        Assert.True(DepthMetrics.AbsRelScaleShiftInvariant(depth, depth) > 0.05); // depth is not disparity
    }

    [Fact]
    public void FloorRegionHoldsTheFloorAndNotTheWall()
    {
        // A scene with a plain chromatic floor before a wall of another chromatic colour.
        var settings = new SynthSettings(Clips: 1, Seed: 4, Size: 32, MinFrames: 2, MaxFrames: 2);
        var rendered = Enumerable.Range(0, 200).Select(i => SyntheticWriter.Render(settings, still: true, i)).First(c =>
            c.Info.Scene is { Background.Kind: BackgroundKind.Wall, Background.Material: Material.Matte, Floor.Material: Material.Matte } s
            && ColourNaming.IsChromatic(s.Floor.Color) && ColourNaming.IsChromatic(s.Background.Color));
        var scene = rendered.Info.Scene;
        var frame = rendered.Frames[0];
        var rgb = tensor(frame.Rgb, [1, 3, 32, 32]) * 2 - 1;
        var depth = tensor(frame.Depth, [1, 1, 32, 32]);
        var masks = tensor(frame.Mask.Select(m => (long)m).ToArray(), [1, 32, 32]);

        var floor = FloorRegion.Of(rendered.Info, depth, masks);
        var wall = masks.eq(0).logical_and(floor.logical_not());
        Assert.True(floor.sum().item<long>() > 32);
        Assert.True(wall.sum().item<long>() > 32);
        Assert.False(floor.logical_and(masks.ne(0)).any().item<bool>());
        Assert.Equal(scene.Floor.Color, ColourNaming.Nearest(rgb, floor));
        Assert.Equal(scene.Background.Color, ColourNaming.Nearest(rgb, wall));
    }
}
