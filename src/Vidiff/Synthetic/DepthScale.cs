namespace Vidiff.Synthetic;

/// <summary>
/// How a clip's 16-bit depth PNGs map to metres: value v means Min + v / 65535 · (Max − Min), so depth is stored
/// exactly to 1/65535 of the clip's depth range.
/// </summary>
public sealed record DepthScale(double Min, double Max)
{
    /// <summary>The tightest scale holding every depth given; a flat range is widened so it stays invertible.</summary>
    public static DepthScale Spanning(IEnumerable<float[]> depths)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var d in depths)
            foreach (var v in d) (min, max) = (Math.Min(min, v), Math.Max(max, v));
        return new DepthScale(min, max > min ? max : min + 1);
    }
}
