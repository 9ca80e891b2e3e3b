namespace Vidiff.Synthetic;

/// <summary>
/// Exact signed distance functions of the shapes in their own frame (centre at the origin, y up), for unit size.
/// Exact distances let sphere tracing stop within 1e-6 m of the surface, so the rendered depth is exact.
/// </summary>
static class ShapeGeometry
{
    const double CubeHalf = 0.78, CylinderRadius = 0.72, CylinderHalf = 0.8;
    const double ConeRadius = 0.85, ConeHeight = 1.9, TorusMajor = 0.68, TorusMinor = 0.3;

    /// <summary>Height of the centre above the floor when the shape rests on it.</summary>
    public static double HalfHeight(Shape shape) => shape switch
    {
        Shape.Sphere => 1,
        Shape.Cube => CubeHalf,
        Shape.Cylinder => CylinderHalf,
        Shape.Cone => ConeHeight / 2,
        Shape.Torus => TorusMajor + TorusMinor,
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary>Radius of a sphere around the centre that holds the whole shape.</summary>
    public static double Bound(Shape shape) => shape switch
    {
        Shape.Sphere => 1,
        Shape.Cube => CubeHalf * Math.Sqrt(3),
        Shape.Cylinder => Math.Sqrt(CylinderRadius * CylinderRadius + CylinderHalf * CylinderHalf),
        Shape.Cone => Math.Sqrt(ConeRadius * ConeRadius + ConeHeight * ConeHeight / 4),
        Shape.Torus => TorusMajor + TorusMinor,
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    public static double Distance(Shape shape, Vec3 p, double size)
    {
        switch (shape)
        {
            case Shape.Sphere:
                return p.Length - size;
            case Shape.Cube:
                {
                    double b = CubeHalf * size;
                    double qx = Math.Abs(p.X) - b, qy = Math.Abs(p.Y) - b, qz = Math.Abs(p.Z) - b;
                    return new Vec3(Math.Max(qx, 0), Math.Max(qy, 0), Math.Max(qz, 0)).Length + Math.Min(Math.Max(qx, Math.Max(qy, qz)), 0);
                }
            case Shape.Cylinder:
                {
                    double dx = Math.Sqrt(p.X * p.X + p.Z * p.Z) - CylinderRadius * size, dy = Math.Abs(p.Y) - CylinderHalf * size;
                    double ox = Math.Max(dx, 0), oy = Math.Max(dy, 0);
                    return Math.Min(Math.Max(dx, dy), 0) + Math.Sqrt(ox * ox + oy * oy);
                }
            case Shape.Cone:
                {
                    // Inigo Quilez's exact cone: tip at the origin, base disc (qx, qy) below it.
                    double qx = ConeRadius * size, qy = -ConeHeight * size;
                    double wx = Math.Sqrt(p.X * p.X + p.Z * p.Z), wy = p.Y - ConeHeight * size / 2;
                    double ka = Math.Clamp((wx * qx + wy * qy) / (qx * qx + qy * qy), 0, 1);
                    double ax = wx - qx * ka, ay = wy - qy * ka;
                    double bx = wx - qx * Math.Clamp(wx / qx, 0, 1), by = wy - qy;
                    double d = Math.Min(ax * ax + ay * ay, bx * bx + by * by);
                    double s = Math.Max(-(wx * qy - wy * qx), -(wy - qy));
                    return Math.Sqrt(d) * Math.Sign(s);
                }
            case Shape.Torus:
                {
                    // Standing upright (ring in the local xy-plane) so it reads as a ring from a low camera.
                    double qx = Math.Sqrt(p.X * p.X + p.Y * p.Y) - TorusMajor * size;
                    return Math.Sqrt(qx * qx + p.Z * p.Z) - TorusMinor * size;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(shape));
        }
    }
}
