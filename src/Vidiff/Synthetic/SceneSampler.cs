namespace Vidiff.Synthetic;

/// <summary>
/// Draws random scenes of the procedural world: one to three objects on a floor before a wall or under a sky,
/// each with a palette colour and a material, varied light, and (for clips) camera and object motion.
/// Everything comes from the given generator, so a seed fixes the scene.
/// </summary>
public static class SceneSampler
{
    const double Spread = 1.1, Limit = 1.7;

    /// <param name="moving">false for still images: no camera or object motion.</param>
    public static Scene Sample(Random rng, bool moving = true)
    {
        var colors = Palette.Colors.Select(c => c.Name).ToArray();
        var floor = new Surface(Pick(rng, colors), Pick(rng, Enum.GetValues<Material>()));
        var background = rng.NextDouble() < 0.6
            ? new Background(BackgroundKind.Wall, Pick(rng, colors.Where(c => c != floor.Color).ToArray()), PickWeighted<Material>(rng, [4, 1, 1, 1, 1]), Uniform(rng, 3, 4.5))
            : new Background(BackgroundKind.Sky, Pick(rng, Palette.SkyColors.Where(c => c != floor.Color).ToArray()), Material.Matte, 0);

        var objects = new List<SceneObject>();
        int count = 1 + rng.Next(3);
        for (int attempt = 0; objects.Count < count && attempt < 100; attempt++)
        {
            var shape = Pick(rng, Enum.GetValues<Shape>());
            double size = Uniform(rng, 0.5, 0.85), x = Uniform(rng, -Spread, Spread), z = Uniform(rng, -Spread, Spread);
            double reach = ShapeGeometry.Bound(shape) * size;
            if (objects.Any(o => Math.Sqrt((o.X - x) * (o.X - x) + (o.Z - z) * (o.Z - z)) < reach + ShapeGeometry.Bound(o.Shape) * o.Size)) continue;
            // Objects stand out from the floor they rest on.
            string color = Pick(rng, colors.Where(c => c != floor.Color).ToArray());
            objects.Add(new SceneObject(shape, color, PickWeighted<Material>(rng, [3, 3, 1, 1, 1]), x, z, size, Uniform(rng, 0, 360),
                moving ? SampleMotion(rng, x, z) : ObjectMotion.None));
        }

        var light = new Light(Uniform(rng, -100, 100), Uniform(rng, 25, 70), Uniform(rng, 5, 8), Uniform(rng, 0.15, 0.45));
        double fov = Uniform(rng, 40, 55);
        // A sky the captions name must be seen: keep the horizon in the upper half of the frame.
        double elevation = background.Kind == BackgroundKind.Sky ? Uniform(rng, 2, fov / 4) : Uniform(rng, 12, 35);
        var camera = new Camera(Uniform(rng, -20, 20), elevation, Uniform(rng, 4.5, 6), Uniform(rng, 0.4, 0.7), fov);
        var cameraMotion = !moving ? CameraMotion.None : rng.Next(4) switch
        {
            0 => CameraMotion.None,
            1 => new CameraMotion(CameraMotionKind.Orbit, Sign(rng) * Uniform(rng, 10, 35)),
            2 => new CameraMotion(CameraMotionKind.Dolly, Sign(rng) * Uniform(rng, 0.1, 0.25)),
            _ => new CameraMotion(CameraMotionKind.Pan, Sign(rng) * Uniform(rng, 5, 12)),
        };
        return new Scene(objects, floor, background, light, camera, cameraMotion);
    }

    static ObjectMotion SampleMotion(Random rng, double x, double z)
    {
        switch (PickWeighted<ObjectMotionKind>(rng, [2, 1, 1, 1]))
        {
            case ObjectMotionKind.Slide:
                double amount = Uniform(rng, 0.4, 1.2), heading = Uniform(rng, 0, 360);
                // Turn round if the slide would leave the stage in front of the wall.
                double h = SceneMotion.Radians(heading);
                if (Math.Abs(x + amount * Math.Sin(h)) > Limit || Math.Abs(z + amount * Math.Cos(h)) > Limit) heading = (heading + 180) % 360;
                return new ObjectMotion(ObjectMotionKind.Slide, amount, heading);
            case ObjectMotionKind.Bounce:
                return new ObjectMotion(ObjectMotionKind.Bounce, Uniform(rng, 0.2, 0.6));
            case ObjectMotionKind.Spin:
                return new ObjectMotion(ObjectMotionKind.Spin, Sign(rng) * Uniform(rng, 60, 240));
            default:
                return ObjectMotion.None;
        }
    }

    static T Pick<T>(Random rng, T[] items) => items[rng.Next(items.Length)];

    /// <summary>An enum value drawn with the given weights, in declaration order.</summary>
    static T PickWeighted<T>(Random rng, int[] weights) where T : struct, Enum
    {
        int r = rng.Next(weights.Sum());
        var values = Enum.GetValues<T>();
        for (int i = 0; ; i++)
            if ((r -= weights[i]) < 0) return values[i];
    }

    static double Uniform(Random rng, double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
    static double Sign(Random rng) => rng.Next(2) == 0 ? -1 : 1;
}
