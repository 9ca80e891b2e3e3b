using Vidiff.Evaluation;
using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Tests.Evaluation;

public class PixelColoursTests
{
    /// <summary>[F, 3, H, W] in [−1, 1] of one palette colour.</summary>
    static Tensor Filled(string colour, int frames = 2, int size = 16)
    {
        var c = Palette.Get(colour);
        return (tensor(new[] { (float)c.R, (float)c.G, (float)c.B }).view(1, 3, 1, 1).expand(frames, 3, size, size) * 2 - 1).contiguous();
    }

    static void Paint(Tensor frames, string colour, Range rows, Range cols)
    {
        var c = Palette.Get(colour);
        frames[.., .., rows, cols] = tensor(new[] { (float)c.R, (float)c.G, (float)c.B }).view(1, 3, 1, 1) * 2 - 1;
    }

    static Tensor Mask(Range rows, Range cols, int frames = 2, int size = 16, long id = 1)
    {
        var m = zeros([frames, size, size], ScalarType.Int64);
        m[.., rows, cols] = tensor(id);
        return m;
    }

    [Fact]
    public void EveryPixelIsNamedAsColourNamingNamesIt()
    {
        var rgb = rand([1, 3, 24, 24], generator: new Generator(5));
        rgb[.., .., ..8] = rgb[.., .., ..8] * 0.02 + 0.5; // greys and near-greys around the chroma threshold
        var names = PixelColours.Names(rgb * 2 - 1).data<long>().ToArray();
        var v = rgb.to(ScalarType.Float64).data<double>().ToArray();
        int greys = 0;
        for (int i = 0; i < 24 * 24; i++)
        {
            string? expected = ColourNaming.Nearest(v[i], v[576 + i], v[2 * 576 + i]);
            Assert.Equal(expected, names[i] < 0 ? null : ColourNaming.Chromatic[(int)names[i]].Name);
            if (expected is null) greys++;
        }
        Assert.True(greys > 20, $"only {greys} grey pixels tested");
    }

    [Fact]
    public void AnObjectPaintedExactlyInTheAskedColourScoresFullMarks()
    {
        var frames = Filled("blue");
        Paint(frames, "red", 4..10, 3..12);
        var masks = Mask(4..10, 3..12);
        Assert.Equal(1.0, PixelColours.ObjectShare(frames, masks, ["red"]));
        Assert.Equal(1.0, PixelColours.ObjectIoU(frames, masks, ["red"]));
        Assert.Equal(0.0, PixelColours.ObjectShare(frames, masks, ["green"]));
        Assert.Equal(0.0, PixelColours.ObjectIoU(frames, masks, ["green"]));
        // The blue floor: all of it blue, none of it red.
        Assert.Equal(1.0, PixelColours.Share(frames, masks.eq(0), "blue"));
        Assert.Equal(0.0, PixelColours.Share(frames, masks.eq(0), "red"));
    }

    [Fact]
    public void AShiftedBlobScoresItsOverlap()
    {
        // The blob covers rows 4–9, the object rows 6–11, both columns 4–9: 36 pixels each, 24 shared, union 48.
        var frames = Filled("blue");
        Paint(frames, "red", 4..10, 4..10);
        var masks = Mask(6..12, 4..10);
        Assert.Equal(24.0 / 48, PixelColours.ObjectIoU(frames, masks, ["red"]), 12);
        // Eroded, the object is rows 7–10 × columns 5–8 (16 pixels); the blob reaches rows 7–9 of it: 12.
        Assert.Equal(12.0 / 16, PixelColours.ObjectShare(frames, masks, ["red"]), 12);
    }

    [Fact]
    public void GreyPixelsMissAndErosionSkipsTheRim()
    {
        var frames = Filled("white");
        var masks = Mask(2..8, 2..8);
        var red = Palette.Get("red");
        // The rim (the mask's outer ring) in red, the inside in a grey of the faintest red (chroma below the threshold).
        Paint(frames, "red", 2..8, 2..8);
        frames[.., .., 3..7, 3..7] = tensor(new[] { 0.5f + 0.01f * (float)red.R, 0.5f, 0.5f }).view(1, 3, 1, 1) * 2 - 1;
        Assert.Equal(0.0, PixelColours.ObjectShare(frames, masks, ["red"]));
        Assert.Equal(20.0 / 36, PixelColours.ObjectIoU(frames, masks, ["red"]), 12);
    }

    [Fact]
    public void ObjectsAreScoredAgainstTheirOwnAskedColours()
    {
        // Object 1 (rows 1–6) asked red and red; object 2 (rows 9–14) asked green but yellow; object 3 asked nothing.
        var frames = Filled("white");
        Paint(frames, "red", 1..7, 1..7);
        Paint(frames, "yellow", 9..15, 1..7);
        Paint(frames, "red", 1..7, 9..15);
        var masks = Mask(1..7, 1..7);
        masks[.., 9..15, 1..7] = tensor(2L);
        masks[.., 1..7, 9..15] = tensor(3L);
        string?[] asked = ["red", "green", null];
        // Eroded: 16 pixels each of objects 1 and 2, half of them hit.
        Assert.Equal(0.5, PixelColours.ObjectShare(frames, masks, asked), 12);
        // Red: the mask of object 1 (36) against 72 red pixels (object 3 is red too): 36 / 72. Green: 0 / 36.
        Assert.Equal(36.0 / (72 + 36), PixelColours.ObjectIoU(frames, masks, asked), 12);
        Assert.True(double.IsNaN(PixelColours.ObjectShare(frames, masks, [null, null, null])));
        var e = Assert.Throws<ArgumentException>(() => PixelColours.ObjectShare(frames, masks, ["red"]));
        Assert.Contains("object id 3", e.Message);
    }

    [Fact]
    public void ErosionKeepsPixelsWhoseNeighboursShareTheirObject()
    {
        // Two touching objects and one at the frame's corner: the frame's edge does not erode, a neighbour object does.
        var masks = Mask(0..4, 0..4, frames: 1, size: 10);
        masks[.., 0..4, 4..8] = tensor(2L);
        var inside = PixelColours.Interior(masks)[0];
        Assert.Equal(9, inside[.., ..4].sum().item<long>()); // rows 0–2 × columns 0–2
        Assert.Equal(6, inside[.., 4..].sum().item<long>()); // rows 0–2 × columns 5–6: column 4 touches object 1, column 7 the background
    }

    [Fact]
    public void TheInputsOwnColoursLeaveOutGreysAndHuesASurfaceShares()
    {
        var scene = SceneSampler.Sample(new Random(3));
        var o = scene.Objects[0];
        scene = scene with
        {
            Objects = [o with { Color = "cyan" }, o with { Color = "orange" }, o with { Color = "gray" }, o with { Color = "red" }],
            Floor = scene.Floor with { Color = "brown" }, // named orange
            Background = scene.Background with { Color = "cyan" },
        };
        Assert.Equal(new string?[] { null, null, null, "red" }, PixelColours.Own(scene));
    }

    [Fact]
    public void TheOutlineHugsTheMaskFromOutside()
    {
        var masks = Mask(3..6, 3..6, frames: 1, size: 10);
        var outline = PixelColours.Outline(masks)[0];
        Assert.Equal(5 * 5 - 3 * 3, outline.sum().item<long>());
        Assert.False(outline.logical_and(masks[0].ne(0)).any().item<bool>());
    }

    [Fact]
    public void ARenderedClipScoresNearlyFullMarksAgainstItsOwnColours()
    {
        // The reference row of the report: the renderer's own frames against the scene's colours and masks.
        var settings = new SynthSettings(Clips: 40, Seed: 9, Size: 32, MinFrames: 2, MaxFrames: 2);
        int scored = 0;
        for (int i = 0; i < settings.Clips && scored < 3; i++)
        {
            var clip = SyntheticWriter.Render(settings, still: false, i);
            var own = PixelColours.Own(clip.Info.Scene);
            if (own.All(c => c is null)) continue;
            var frames = tensor(clip.Frames.SelectMany(f => f.Rgb).ToArray(), [2, 3, 32, 32]) * 2 - 1;
            var masks = tensor(clip.Frames.SelectMany(f => f.Mask.Select(m => (long)m)).ToArray(), [2, 32, 32]);
            Assert.InRange(PixelColours.ObjectShare(frames, masks, own), 0.97, 1);
            Assert.InRange(PixelColours.ObjectIoU(frames, masks, own), 0.75, 1); // the anti-aliased rim at 32 px costs some
            scored++;
        }
        Assert.Equal(3, scored);
    }
}
