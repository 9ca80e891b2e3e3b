using Vidiff.Evaluation;
using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Tests.Evaluation;

public class ColourNamingTests
{
    public static TheoryData<string> Names => new(ColourNaming.Chromatic.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void PaletteColoursAndTheirShadesAreNamedAsThemselves(string name)
    {
        var c = Palette.Get(name);
        Assert.Equal(name, ColourNaming.Nearest(c.R, c.G, c.B));
        Assert.Equal(name, ColourNaming.Nearest(0.4 * c.R, 0.4 * c.G, 0.4 * c.B)); // in shadow
        Assert.Equal(name, ColourNaming.Nearest(0.5 * c.R + 0.5 * 0.95, 0.5 * c.G + 0.5 * 0.95, 0.5 * c.B + 0.5 * 0.95)); // washed out, as a texture's second tone
        Assert.Equal(name, ColourNaming.Nearest(0.8 * c.R + 0.1, 0.8 * c.G + 0.1, 0.8 * c.B + 0.1)); // with a grey highlight mixed in
    }

    [Fact]
    public void GreysHaveNoName()
    {
        foreach (var grey in new[] { "white", "gray", "black" })
        {
            var c = Palette.Get(grey);
            Assert.Null(ColourNaming.Nearest(c.R, c.G, c.B));
        }
        Assert.Equal("orange", ColourNaming.Nearest(0.5, 0.30, 0.12)); // brown is a dark orange
    }

    [Fact]
    public void RegionMeanIgnoresPixelsOutsideTheRegion()
    {
        // Frames in [−1, 1]: a blue square on a red background, and a region that covers only the square.
        var frames = tensor(new float[] { 0.85f, 0.12f, 0.10f }).view(1, 3, 1, 1).expand(2, 3, 8, 8).clone() * 2 - 1;
        frames[.., .., 2..5, 2..5] = tensor(new float[] { 0.12f, 0.30f, 0.90f }).view(1, 3, 1, 1) * 2 - 1;
        var region = zeros(2, 8, 8, dtype: ScalarType.Bool);
        region[.., 2..5, 2..5] = tensor(true);
        Assert.Equal("blue", ColourNaming.Nearest(frames, region));
        Assert.Equal("red", ColourNaming.Nearest(frames, region.logical_not()));
        Assert.Null(ColourNaming.Nearest(frames, zeros_like(region)));
    }

    [Fact]
    public void RenderedObjectsAndFloorsAreNamedByTheirColour()
    {
        // What the renderer makes of a colour (shading, gloss, textures, shadows) keeps its name: the eval's reading of
        // an unedited clip is right.
        var settings = new SynthSettings(Clips: 0, Seed: 7, Size: 32);
        int objects = 0, floors = 0;
        for (int i = 0; i < 60; i++)
        {
            var still = SyntheticWriter.Render(settings, still: true, i);
            var frame = still.Frames[0];
            var rgb = tensor(frame.Rgb, [1, 3, 32, 32]) * 2 - 1;
            var masks = tensor(frame.Mask.Select(m => (long)m).ToArray(), [1, 32, 32]);
            var scene = still.Info.Scene;
            if (HeldOutSet.ObjectColour(scene) is string colour)
            {
                Assert.Equal(colour, ColourNaming.Nearest(rgb, masks.ne(0)));
                objects++;
            }
            if (ColourNaming.IsChromatic(scene.Floor.Color))
            {
                var floor = FloorRegion.Of(still.Info, tensor(frame.Depth, [1, 1, 32, 32]), masks);
                Assert.Equal(scene.Floor.Color, ColourNaming.Nearest(rgb, floor));
                floors++;
            }
        }
        Assert.True(objects >= 5 && floors >= 20, $"{objects} one-colour stills, {floors} chromatic floors");
    }
}
