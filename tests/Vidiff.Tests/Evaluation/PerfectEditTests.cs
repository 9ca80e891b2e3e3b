using Vidiff.Evaluation;
using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Tests.Evaluation;

public sealed class PerfectEditTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-perfect-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A clip written to disk as the held-out set is (PNGs, clip.json), read back.</summary>
    SyntheticClip Written(out SynthSettings settings)
    {
        settings = new SynthSettings(Clips: 1, Seed: 21, Size: 24, MinFrames: 4, MaxFrames: 4);
        SyntheticWriter.Write(dir, settings);
        var clip = SyntheticDataset.Open(dir).Clips[0];
        Assert.True(clip.LoadMasks().ne(0).sum().item<long>() > 20, "the clip shows its objects");
        return clip;
    }

    [Fact]
    public void TheUnmodifiedSceneReproducesTheStoredFrames()
    {
        var clip = Written(out var settings);
        var stored = clip.LoadFrames();
        var redrawn = PerfectEdit.Render(clip.Info, clip.Scene, 4, settings.AntiAliasing);
        // The stored frames are 8-bit PNGs: half a level of rounding, nothing more.
        Assert.True((redrawn - stored).abs().max().item<float>() / 2 <= 0.5 / 255 + 1e-6);
        Assert.Equal((redrawn - stored).narrow(0, 0, 2), (PerfectEdit.Render(clip.Info, clip.Scene, 2, settings.AntiAliasing) - stored.narrow(0, 0, 2)));
        Assert.Throws<ArgumentException>(() => PerfectEdit.Render(clip.Info, clip.Scene, 5, settings.AntiAliasing));
    }

    [Fact]
    public void RecolouringChangesOnlyTheRecolouredSurfaces()
    {
        var clip = Written(out var settings);
        var scene = clip.Scene;
        var masks = clip.LoadMasks();
        var plain = PerfectEdit.Render(clip.Info, scene, 4, settings.AntiAliasing);
        string colour = ColourNaming.Chromatic.Select(c => c.Name).First(c => scene.Objects.All(o => o.Color != c) && c != scene.Floor.Color);

        // Objects: every object pixel away from the rim changes, and nothing beyond the 1-pixel rim around the objects
        // (anti-aliasing mixes object and floor there). The recoloured objects carry the new colour.
        var objects = PerfectEdit.Render(clip.Info, ColourPrompts.WithObjects(scene, colour), 4, settings.AntiAliasing);
        var changed = (objects - plain).abs().amax([1]).gt(0);
        var near = masks.ne(0).logical_or(PixelColours.Outline(masks));
        Assert.False(changed.logical_and(near.logical_not()).any().item<bool>());
        var interior = PixelColours.Interior(masks);
        Assert.True(interior.any().item<bool>());
        Assert.True(changed.logical_or(interior.logical_not()).all().item<bool>());
        Assert.True(PixelColours.ObjectShare(objects, masks, [.. scene.Objects.Select(_ => colour)]) > 0.95);

        // Floor: no object pixel away from the rim changes; most floor pixels do.
        var floorColour = ColourNaming.Chromatic.Select(c => c.Name).First(c => c != scene.Floor.Color && c != colour);
        var floorEdit = PerfectEdit.Render(clip.Info, ColourPrompts.WithFloor(scene, floorColour), 4, settings.AntiAliasing);
        var floorChanged = (floorEdit - plain).abs().amax([1]).gt(0);
        Assert.False(floorChanged.logical_and(interior).any().item<bool>());
        var floor = FloorRegion.Of(clip.Info, clip.LoadDepth(), masks);
        Assert.True(floorChanged.logical_and(floor).sum().item<long>() > 0.9 * floor.sum().item<long>());
    }
}
