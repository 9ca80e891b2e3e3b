namespace Vidiff.Synthetic;

/// <summary>Square frames of Size pixels; AntiAliasing² shading samples per pixel on a regular grid.</summary>
public sealed record RenderOptions(int Size = 64, int AntiAliasing = 2);
