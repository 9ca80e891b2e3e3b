using Vidiff.Synthetic;

namespace Vidiff.Tests.Synthetic;

public class RendererTests
{
    const double Radius = 0.5, Distance = 4;

    /// <summary>A matte sphere of known radius resting at the origin, the camera level with its centre.</summary>
    static Scene SphereScene(string color = "red", CameraMotion? motion = null, BackgroundKind background = BackgroundKind.Sky) => new(
        [new SceneObject(Shape.Sphere, color, Material.Matte, 0, 0, Radius, 0, ObjectMotion.None)],
        new Surface("gray", Material.Matte),
        new Background(background, "gray", Material.Matte, 3),
        new Light(0, 60, 6, 0.3),
        new Camera(0, 0, Distance, Radius, 45),
        motion ?? CameraMotion.None);

    /// <summary>The pixel-centre ray, derived independently of the renderer from the camera pose.</summary>
    static (double[] Eye, double[] Dir, double[] Forward) Ray(Scene scene, double t, int size, int x, int y)
    {
        var pose = SceneMotion.CameraAt(scene, t);
        var f = Unit(Sub(pose.Target, pose.Position));
        var r = Unit([-f[2], 0, f[0]]); // f × (0,1,0)
        double[] u = [r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0]];
        double th = Math.Tan(pose.FieldOfView * Math.PI / 360);
        double sx = (2 * (x + 0.5) / size - 1) * th, sy = (1 - 2 * (y + 0.5) / size) * th;
        return (pose.Position, Unit([f[0] + sx * r[0] + sy * u[0], f[1] + sx * r[1] + sy * u[1], f[2] + sx * r[2] + sy * u[2]]), f);
    }

    static double[] Sub(double[] a, double[] b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    static double DotP(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    static double[] Unit(double[] a) { double l = Math.Sqrt(DotP(a, a)); return [a[0] / l, a[1] / l, a[2] / l]; }

    /// <summary>Ray parameter of the sphere hit, or NaN on a miss.</summary>
    static double HitSphere(double[] eye, double[] dir, double[] centre, double radius)
    {
        var oc = Sub(eye, centre);
        double b = DotP(oc, dir), disc = b * b - (DotP(oc, oc) - radius * radius);
        return disc < 0 ? double.NaN : -b - Math.Sqrt(disc);
    }

    [Fact]
    public void SphereDepthIsExactAtTheCentreAndEveryHitPixel()
    {
        const int size = 33; // odd, so one pixel centre lies on the optical axis
        var scene = SphereScene();
        var frame = SceneRenderer.Render(scene, 0, new RenderOptions(size, 1));
        Assert.Equal(Distance - Radius, frame.Depth[size / 2 * size + size / 2], 1e-4);

        int hits = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                var (eye, dir, f) = Ray(scene, 0, size, x, y);
                double t = HitSphere(eye, dir, [0, Radius, 0], Radius);
                int i = y * size + x;
                if (double.IsNaN(t) || Math.Abs(DotP(Sub([0, Radius, 0], eye), dir) - t) > Radius - 1e-3) continue; // skip grazing rays
                hits++;
                Assert.Equal(1, frame.Mask[i]);
                Assert.Equal(t * DotP(dir, f), frame.Depth[i], 1e-4);
            }
        Assert.True(hits > 50, $"only {hits} pixels see the sphere");
    }

    [Fact]
    public void FloorDepthMatchesThePlaneIntersectionAndObjectsAreInFrontOfIt()
    {
        const int size = 32;
        var scene = SphereScene() with { Camera = new Camera(0, 25, Distance, Radius, 45) };
        var frame = SceneRenderer.Render(scene, 0, new RenderOptions(size, 1));
        int floor = 0, objects = 0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                var (eye, dir, f) = Ray(scene, 0, size, x, y);
                int i = y * size + x;
                double floorDepth = dir[1] < 0 ? -eye[1] / dir[1] * DotP(dir, f) : double.PositiveInfinity;
                bool missesSphere = double.IsNaN(HitSphere(eye, dir, [0, Radius, 0], Radius + 1e-3));
                if (frame.Mask[i] == 1)
                {
                    objects++;
                    Assert.True(frame.Depth[i] < floorDepth, $"object pixel ({x},{y}) at {frame.Depth[i]} m is not in front of the floor at {floorDepth} m");
                }
                else if (missesSphere && floorDepth < SceneRenderer.FarDepth)
                {
                    floor++;
                    Assert.Equal(0, frame.Mask[i]);
                    Assert.Equal(floorDepth, frame.Depth[i], 1e-4);
                }
            }
        Assert.True(floor > 100 && objects > 20, $"floor {floor}, object {objects} pixels");
    }

    [Fact]
    public void MasksOfRandomScenesMarkPixelsInFrontOfTheFloor()
    {
        const int size = 32;
        for (int seed = 0; seed < 6; seed++)
        {
            var scene = SceneSampler.Sample(new Random(seed));
            var frame = SceneRenderer.Render(scene, 0.5, new RenderOptions(size, 1));
            var ids = frame.Mask.Where(m => m > 0).Distinct().ToArray();
            Assert.All(ids, id => Assert.InRange(id, 1, scene.Objects.Count));
            for (int i = 0; i < size * size; i++)
            {
                if (frame.Mask[i] == 0) continue;
                var (eye, dir, f) = Ray(scene, 0.5, size, i % size, i / size);
                double floorDepth = dir[1] < 0 ? -eye[1] / dir[1] * DotP(dir, f) : double.PositiveInfinity;
                Assert.True(frame.Depth[i] < floorDepth, $"seed {seed}: object {frame.Mask[i]} pixel {i} behind the floor");
            }
        }
    }

    [Theory]
    [InlineData("red")]
    [InlineData("orange")]
    [InlineData("yellow")]
    [InlineData("green")]
    [InlineData("cyan")]
    [InlineData("blue")]
    [InlineData("purple")]
    [InlineData("pink")]
    public void MatteObjectLooksClosestInHueToItsNamedColour(string color)
    {
        const int size = 32;
        var frame = SceneRenderer.Render(SphereScene(color), 0, new RenderOptions(size, 2));
        double r = 0, g = 0, b = 0;
        int n = 0;
        for (int i = 0; i < size * size; i++)
            if (frame.Mask[i] == 1) { r += frame.Rgb[i]; g += frame.Rgb[size * size + i]; b += frame.Rgb[2 * size * size + i]; n++; }
        double hue = Hue(r / n, g / n, b / n);
        // Brown shares orange's hue (it is a dark orange), and the grays have none.
        var chromatic = new[] { "red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink" }.Select(Palette.Get);
        var closest = chromatic.MinBy(c => HueDistance(Hue(c.R, c.G, c.B), hue))!;
        Assert.Equal(color, closest.Name);
    }

    static double Hue(double r, double g, double b)
    {
        double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), c = max - min;
        double h = max == r ? (g - b) / c : max == g ? 2 + (b - r) / c : 4 + (r - g) / c;
        return (h * 60 + 360) % 360;
    }

    static double HueDistance(double a, double b) => Math.Min(Math.Abs(a - b), 360 - Math.Abs(a - b));

    [Fact]
    public void OrbitChangesFramesButDepthStaysConsistentWithGeometry()
    {
        const int size = 33;
        var scene = SphereScene(motion: new CameraMotion(CameraMotionKind.Orbit, 30), background: BackgroundKind.Wall)
            with
        { Floor = new Surface("gray", Material.Checkered) };
        var first = SceneRenderer.Render(scene, 0, new RenderOptions(size, 1));
        var last = SceneRenderer.Render(scene, 1, new RenderOptions(size, 1));
        Assert.True(first.Rgb.Zip(last.Rgb).Count(p => Math.Abs(p.First - p.Second) > 0.05) > 50, "orbiting did not change the frame");
        // The sphere sits at the orbit's centre: it stays in the middle at the same distance...
        Assert.Equal(Distance - Radius, last.Depth[size / 2 * size + size / 2], 1e-4);
        // ...while the wall behind it, seen at another angle, is now farther on one side.
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                var (eye, dir, f) = Ray(scene, 1, size, x, y);
                int i = y * size + x;
                double t = HitSphere(eye, dir, [0, Radius, 0], Radius);
                if (!double.IsNaN(t) && last.Mask[i] == 1) Assert.Equal(t * DotP(dir, f), last.Depth[i], 1e-4);
                double wall = dir[2] < 0 ? (-3 - eye[2]) / dir[2] : double.PositiveInfinity, floor = dir[1] < 0 ? -eye[1] / dir[1] : double.PositiveInfinity;
                if (last.Mask[i] == 0 && double.IsNaN(HitSphere(eye, dir, [0, Radius, 0], Radius + 1e-3)))
                    Assert.Equal(Math.Min(Math.Min(wall, floor) * DotP(dir, f), SceneRenderer.FarDepth), last.Depth[i], 1e-3);
            }
    }
}
