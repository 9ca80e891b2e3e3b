using Vidiff.Synthetic;

namespace Vidiff.Tests.Synthetic;

public class CaptionerTests
{
    [Fact]
    public void EveryCaptionNamesEachObjectsColourAndShape()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            var rng = new Random(seed);
            var scene = SceneSampler.Sample(rng);
            var captions = Captioner.Captions(scene, rng);
            Assert.Equal(4, captions.Count);
            Assert.Equal(captions.Count, captions.Distinct().Count());
            foreach (var caption in captions)
            {
                var words = caption.Replace(",", " ").Replace(":", " ").Split(' ');
                foreach (var o in scene.Objects)
                {
                    Assert.Contains(o.Color, words);
                    Assert.Contains(words, w => Captioner.ShapeWords(o.Shape).Contains(w));
                }
            }
        }
    }

    [Fact]
    public void ExampleSceneReadsNaturally()
    {
        var scene = new Scene(
            [new SceneObject(Shape.Sphere, "red", Material.Glossy, 0, 0, 0.5, 0, ObjectMotion.None),
             new SceneObject(Shape.Cone, "orange", Material.Matte, 1, 0, 0.5, 0, new ObjectMotion(ObjectMotionKind.Bounce, 0.3))],
            new Surface("blue", Material.Checkered), new Background(BackgroundKind.Wall, "gray", Material.Matte, 3),
            new Light(0, 45, 6, 0.3), new Camera(0, 20, 6, 0.5, 45), new CameraMotion(CameraMotionKind.Orbit, 20));
        var all = Enumerable.Range(0, 20).SelectMany(s => Captioner.Captions(scene, new Random(s), 6)).Distinct().ToList();
        Assert.Contains("blue floor, red sphere, orange cone", all.Select(c => c.Replace("ball", "sphere")));
        Assert.Contains(all, c => c.StartsWith("a red sphere and an orange cone bouncing on a blue floor, the camera orbits", StringComparison.Ordinal)
            || c.StartsWith("a red ball and an orange cone bouncing on a blue floor, the camera orbits", StringComparison.Ordinal));
        Assert.Contains(all, c => c.EndsWith("in front of a gray wall", StringComparison.Ordinal) || c.EndsWith("in front of a matte gray wall", StringComparison.Ordinal));
        Assert.Contains(all, c => c.Contains("an orange", StringComparison.Ordinal));
    }
}
