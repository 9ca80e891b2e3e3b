namespace Vidiff.Synthetic;

/// <summary>
/// Camera motion over the clip (t from 0 to 1). Orbit: the azimuth turns by Amount degrees.
/// Dolly: the distance shrinks by the fraction Amount (negative pulls back). Pan: the view turns by Amount degrees about the camera.
/// </summary>
public sealed record CameraMotion(CameraMotionKind Kind, double Amount = 0)
{
    public static CameraMotion None { get; } = new(CameraMotionKind.None);
}
