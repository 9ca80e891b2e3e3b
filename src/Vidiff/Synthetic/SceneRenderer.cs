namespace Vidiff.Synthetic;

/// <summary>
/// Renders a scene at one clip time to RGB, exact depth and object masks: the ground truth that the depth
/// estimator (paper §3.3, structure) and the appearance captions (§3.3, content) are trained against.
/// </summary>
public static class SceneRenderer
{
    /// <summary>Depth given to the sky and to anything farther, in metres.</summary>
    public const double FarDepth = 40;

    public static RenderedFrame Render(Scene scene, double t, RenderOptions options)
    {
        int size = options.Size, aa = options.AntiAliasing;
        if (size < 1 || aa < 1) throw new ArgumentException($"render size and anti-aliasing must be positive, got {size} and {aa}", nameof(options));
        var caster = new RayCaster(scene, t);
        var (eye, target) = SceneMotion.CameraVectors(scene, t);
        var forward = (target - eye).Normalized;
        var right = forward.Cross(new Vec3(0, 1, 0)).Normalized;
        var up = right.Cross(forward);
        double tanHalf = Math.Tan(SceneMotion.Radians(scene.Camera.FieldOfView) / 2);

        var rgb = new float[3 * size * size];
        var depth = new float[size * size];
        var mask = new byte[size * size];
        // Every pixel is computed on its own (no shared sums), so the row split cannot change the result.
        Parallel.For(0, size, y =>
        {
            for (int x = 0; x < size; x++)
            {
                Vec3 Ray(double sx, double sy) =>
                    (forward + right * ((2 * (x + sx) / size - 1) * tanHalf) + up * ((1 - 2 * (y + sy) / size) * tanHalf)).Normalized;

                int i = y * size + x;
                var centre = Ray(0.5, 0.5);
                var (s, id) = caster.Trace(eye, centre);
                depth[i] = (float)Math.Min(id == RayCaster.Sky ? FarDepth : s * centre.Dot(forward), FarDepth);
                mask[i] = (byte)(id >= 0 ? id + 1 : 0);

                var sum = new Vec3(0, 0, 0);
                for (int sy = 0; sy < aa; sy++)
                    for (int sx = 0; sx < aa; sx++)
                    {
                        var d = Ray((sx + 0.5) / aa, (sy + 0.5) / aa);
                        var (hs, hid) = caster.Trace(eye, d);
                        sum += caster.Shade(eye, d, hs, hid);
                    }
                sum *= 1.0 / (aa * aa);
                rgb[i] = (float)Math.Clamp(sum.X, 0, 1);
                rgb[size * size + i] = (float)Math.Clamp(sum.Y, 0, 1);
                rgb[2 * size * size + i] = (float)Math.Clamp(sum.Z, 0, 1);
            }
        });
        return new RenderedFrame(size, rgb, depth, mask);
    }
}
