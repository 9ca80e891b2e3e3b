namespace Vidiff.Synthetic;

/// <summary>
/// A pinhole camera on a sphere of radius Distance around the target (0, TargetHeight, 0), at Azimuth degrees
/// (0 = on the +z side, facing the wall) and Elevation degrees; FieldOfView is vertical, in degrees.
/// </summary>
public sealed record Camera(double Azimuth, double Elevation, double Distance, double TargetHeight, double FieldOfView);
