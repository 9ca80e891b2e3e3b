namespace Vidiff.Synthetic;

/// <summary>A wall facing the camera at z = −Distance, or an open sky (then Distance is unused and Material is matte).</summary>
public sealed record Background(BackgroundKind Kind, string Color, Material Material, double Distance);
