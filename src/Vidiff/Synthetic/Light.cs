namespace Vidiff.Synthetic;

/// <summary>
/// A white point light at Distance metres from the scene centre in direction (Azimuth, Elevation) degrees,
/// whose inverse-square falloff is normalised to 1 at the centre; Ambient is the share of light that is not directional.
/// </summary>
public sealed record Light(double Azimuth, double Elevation, double Distance, double Ambient);
