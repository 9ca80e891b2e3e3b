namespace Vidiff.Synthetic;

/// <summary>
/// The named colours of the procedural world. Their names are the words captions use, so content
/// (paper §4: appearance) is tied to text; evaluation reads them back from the clip description.
/// </summary>
public static class Palette
{
    public static IReadOnlyList<NamedColor> Colors { get; } =
    [
        new("red", 0.85, 0.12, 0.10),
        new("orange", 0.95, 0.50, 0.08),
        new("yellow", 0.95, 0.85, 0.15),
        new("green", 0.15, 0.70, 0.20),
        new("cyan", 0.10, 0.80, 0.85),
        new("blue", 0.12, 0.30, 0.90),
        new("purple", 0.55, 0.20, 0.80),
        new("pink", 0.98, 0.45, 0.70),
        new("white", 0.92, 0.92, 0.92),
        new("gray", 0.50, 0.50, 0.50),
        new("black", 0.08, 0.08, 0.08),
        new("brown", 0.50, 0.30, 0.12),
    ];

    /// <summary>Colours a sky can plausibly have.</summary>
    public static IReadOnlyList<string> SkyColors { get; } = ["blue", "cyan", "white", "gray", "orange", "pink", "purple"];

    public static NamedColor Get(string name) =>
        Colors.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"unknown colour \"{name}\"; the palette has {string.Join(", ", Colors.Select(c => c.Name))}", nameof(name));
}
