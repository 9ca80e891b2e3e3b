using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Evaluation;

/// <summary>
/// Names a region's colour by hue among the chromatic palette colours, so "did the content take" (paper §4, §8) is
/// read from pixels. Hue is the angle in the opponent plane a = R − (G + B)/2, b = √3/2 (G − B): shading scales (a, b)
/// and mixing with grey or white shrinks it, so darker and lighter versions of a colour keep its hue; and since
/// (a, b) is linear in RGB, the hue of a region's mean colour is the chroma-weighted mean of its pixels' hues
/// (glossy highlights and shadows count little).
/// </summary>
public static class ColourNaming
{
    /// <summary>Mean colours with less chroma than this (in 0..1 units) are grey and get no name.</summary>
    public const double MinChroma = 0.03;

    /// <summary>The palette colours with a hue (Palette minus white, gray, black and brown).</summary>
    public static IReadOnlyList<NamedColor> Chromatic { get; } =
        new[] { "red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink" }.Select(Palette.Get).ToArray();

    public static bool IsChromatic(string name) => Chromatic.Any(c => c.Name == name);

    /// <summary>Hue in degrees [0, 360) of an RGB colour (0..1).</summary>
    public static double Hue(double r, double g, double b)
    {
        var (a, c) = Opponent(r, g, b);
        double h = Math.Atan2(c, a) * 180 / Math.PI;
        return h < 0 ? h + 360 : h;
    }

    /// <summary>The chromatic palette colour nearest in hue, or null for a grey.</summary>
    public static string? Nearest(double r, double g, double b)
    {
        var (a, c) = Opponent(r, g, b);
        if (Math.Sqrt(a * a + c * c) < MinChroma) return null;
        double h = Hue(r, g, b);
        return Chromatic.MinBy(k => HueDistance(h, Hue(k.R, k.G, k.B)))!.Name;
    }

    /// <summary>The name of the mean colour of <paramref name="frames"/> [F, 3, H, W] (in [−1, 1]) over <paramref name="region"/>
    /// [F, H, W]; null for an empty or grey region.</summary>
    public static string? Nearest(Tensor frames, Tensor region)
    {
        using var scope = NewDisposeScope();
        var m = region.to(float64).unsqueeze(1);
        double count = m.sum().item<double>();
        if (count == 0) return null;
        var mean = ((frames.to(float64) + 1) / 2 * m).sum([0, 2, 3]) / count;
        var rgb = mean.data<double>().ToArray();
        return Nearest(rgb[0], rgb[1], rgb[2]);
    }

    static (double A, double B) Opponent(double r, double g, double b) => (r - (g + b) / 2, Math.Sqrt(3) / 2 * (g - b));

    static double HueDistance(double x, double y)
    {
        double d = Math.Abs(x - y) % 360;
        return Math.Min(d, 360 - d);
    }
}
