using System.Globalization;

namespace Vidiff.Customisation;

/// <summary>An adapter asked for at edit time, <c>FILE[:SCALE]</c>: its file and the scale s of its update s ΔW.</summary>
public sealed record AdapterChoice(string Path, double Scale)
{
    /// <summary>Beyond ±2 an adapter's update outweighs what it was trained to add; negative scales steer away from it.</summary>
    public const double MaxScale = 2;

    /// <summary>FILE, or FILE:SCALE (the last colon, so paths with colons still work when a scale follows).</summary>
    public static AdapterChoice Parse(string value)
    {
        int colon = value.LastIndexOf(':');
        if (colon > 0 && double.TryParse(value[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var scale))
        {
            if (!(Math.Abs(scale) <= MaxScale))
                throw new ArgumentException($"--adapter {value}: scale {value[(colon + 1)..]} is outside [−{MaxScale}, {MaxScale}] (1 applies the adapter as trained, 0 not at all).");
            return new AdapterChoice(value[..colon], scale);
        }
        return new AdapterChoice(value, 1);
    }
}
