namespace Vidiff.Synthetic;

/// <summary>
/// One object resting on the floor at (X, Z) at clip time 0. Size is its radius-like scale in metres;
/// Yaw its initial turn about the vertical axis in degrees.
/// </summary>
public sealed record SceneObject(Shape Shape, string Color, Material Material, double X, double Z, double Size, double Yaw, ObjectMotion Motion);
