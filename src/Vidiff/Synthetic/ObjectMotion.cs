namespace Vidiff.Synthetic;

/// <summary>
/// How an object moves over the clip (clip time t runs from 0 at the first frame to 1 at the last).
/// Slide: Amount metres along the floor towards Heading (degrees, 0 = +z). Bounce: hops of Amount metres, two per clip.
/// Spin: Amount degrees about the vertical axis.
/// </summary>
public sealed record ObjectMotion(ObjectMotionKind Kind, double Amount = 0, double Heading = 0)
{
    public static ObjectMotion None { get; } = new(ObjectMotionKind.None);
}
