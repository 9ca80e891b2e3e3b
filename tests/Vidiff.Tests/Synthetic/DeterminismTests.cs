using System.Text.Json;
using Vidiff.Synthetic;

namespace Vidiff.Tests.Synthetic;

public class DeterminismTests
{
    static readonly SynthSettings Tiny = new(Clips: 3, Seed: 7, Size: 32, MinFrames: 4, MaxFrames: 4);

    static string Json(RenderedClip c) => JsonSerializer.Serialize(c.Info);

    [Fact]
    public void SameSeedGivesIdenticalClips()
    {
        var a = SyntheticWriter.Render(Tiny, still: false, index: 1);
        var b = SyntheticWriter.Render(Tiny, still: false, index: 1);
        Assert.Equal(Json(a), Json(b));
        Assert.Equal(4, a.Frames.Count);
        for (int f = 0; f < a.Frames.Count; f++)
        {
            Assert.Equal(a.Frames[f].Rgb, b.Frames[f].Rgb);
            Assert.Equal(a.Frames[f].Depth, b.Frames[f].Depth);
            Assert.Equal(a.Frames[f].Mask, b.Frames[f].Mask);
        }
    }

    [Fact]
    public void OtherSeedOrIndexGivesAnotherClip()
    {
        var a = SyntheticWriter.Render(Tiny, still: false, index: 1);
        var otherSeed = SyntheticWriter.Render(Tiny with { Seed = 8 }, still: false, index: 1);
        var otherIndex = SyntheticWriter.Render(Tiny, still: false, index: 2);
        var still = SyntheticWriter.Render(Tiny, still: true, index: 1);
        Assert.NotEqual(a.Info.Scene, otherSeed.Info.Scene);
        Assert.NotEqual(a.Frames[0].Rgb, otherSeed.Frames[0].Rgb);
        Assert.NotEqual(a.Frames[0].Rgb, otherIndex.Frames[0].Rgb);
        Assert.NotEqual(a.Frames[0].Rgb, still.Frames[0].Rgb);
        Assert.Single(still.Frames);
        Assert.Equal(CameraMotionKind.None, still.Info.Scene.CameraMotion.Kind);
        Assert.All(still.Info.Scene.Objects, o => Assert.Equal(ObjectMotionKind.None, o.Motion.Kind));
    }

    [Fact]
    public void MovingClipsChangeBetweenFramesAndDepthFitsItsScale()
    {
        for (int i = 0; i < 6; i++)
        {
            var clip = SyntheticWriter.Render(Tiny, still: false, index: i);
            var scale = clip.Info.Depth;
            Assert.All(clip.Frames, f => Assert.All(f.Depth, d => Assert.InRange(d, scale.Min, scale.Max)));
            Assert.Equal(clip.Frames.Min(f => f.Depth.Min()), scale.Min, 1e-6);
            // A spinning plain sphere looks the same in every frame, so only moves that change the view are checked.
            var scene = clip.Info.Scene;
            bool moves = scene.CameraMotion.Kind != CameraMotionKind.None || scene.Objects.Any(o => o.Motion.Kind is ObjectMotionKind.Slide or ObjectMotionKind.Bounce);
            bool still = scene.Objects.All(o => o.Motion.Kind == ObjectMotionKind.None) && scene.CameraMotion.Kind == CameraMotionKind.None;
            bool changes = clip.Frames.Any(f => !f.Rgb.SequenceEqual(clip.Frames[0].Rgb));
            if (moves) Assert.True(changes, $"clip {i} moves but its frames are identical");
            if (still) Assert.False(changes, $"clip {i} is still but its frames differ");
        }
    }
}
