namespace Vidiff.Synthetic;

/// <summary>Where the camera is in one frame (world metres, y up, floor at y = 0).</summary>
public sealed record CameraPose(double[] Position, double[] Target, double FieldOfView);
