namespace Vidiff.Synthetic;

/// <summary>A palette colour: the name captions use and its albedo (0..1, display space).</summary>
public sealed record NamedColor(string Name, double R, double G, double B);
