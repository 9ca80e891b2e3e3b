namespace Vidiff.Synthetic;

/// <summary>
/// Captions written from the scene description in varied templates and words, so the text encoder and the prior
/// (paper §4, content from text) see the same content said in several ways. Every caption names every object's
/// colour and shape (or a synonym of it).
/// </summary>
public static class Captioner
{
    public static IReadOnlyList<string> ShapeWords(Shape shape) => shape switch
    {
        Shape.Sphere => ["sphere", "ball"],
        Shape.Cube => ["cube", "box", "block"],
        Shape.Cylinder => ["cylinder", "pillar"],
        Shape.Cone => ["cone"],
        Shape.Torus => ["torus", "ring", "donut"],
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    static string[] MaterialWords(Material m) => m switch
    {
        Material.Matte => ["matte", ""],
        Material.Glossy => ["glossy", "shiny"],
        Material.Checkered => ["checkered", "checked"],
        Material.Striped => ["striped"],
        Material.Dotted => ["dotted", "polka-dot"],
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    static readonly Func<Random, Scene, string>[] Templates =
    [
        // "a red glossy sphere on a checkered blue floor in front of a gray wall"
        (r, s) => $"{List(r, s, full: true)} on {A(Surface(r, s.Floor))} floor{Behind(r, s)}",
        // "blue floor, red ball"
        (r, s) => $"{s.Floor.Color} floor, {string.Join(", ", s.Objects.Select(o => $"{o.Color} {Word(r, o.Shape)}"))}",
        // "a matte green cube and a yellow cone in front of a gray wall"
        (r, s) => $"{List(r, s, full: true)}{Behind(r, s)}",
        // "a red ball bouncing and a blue box on a white floor, the camera orbits"
        (r, s) => $"{List(r, s, full: false, moving: true)} on {A(s.Floor.Color)} floor{Camera(s)}",
        // "two objects on a striped gray floor: a red cube and a pink cone"
        (r, s) => $"{Count(s.Objects.Count)} on {A(Surface(r, s.Floor))} floor: {List(r, s, full: false)}",
        // "a photo of a shiny orange torus under a cyan sky"
        (r, s) => $"a photo of {List(r, s, full: true)}{Behind(r, s)}",
    ];

    /// <summary>Up to <paramref name="count"/> distinct captions of the scene.</summary>
    public static IReadOnlyList<string> Captions(Scene scene, Random rng, int count = 4)
    {
        if (scene.Objects.Count == 0) throw new ArgumentException("a scene needs at least one object to caption", nameof(scene));
        var order = Enumerable.Range(0, Templates.Length).OrderBy(_ => rng.Next()).ToArray();
        var captions = new List<string>();
        foreach (int i in order)
        {
            var caption = Clean(Templates[i](rng, scene));
            if (!captions.Contains(caption)) captions.Add(caption);
            if (captions.Count == count) break;
        }
        return captions;
    }

    static string List(Random r, Scene s, bool full, bool moving = false)
    {
        var phrases = s.Objects.Select(o =>
        {
            string look = full ? Look(r, o.Color, o.Material) : o.Color;
            string phrase = A($"{look} {Word(r, o.Shape)}");
            return moving ? phrase + Motion(o.Motion) : phrase;
        }).ToArray();
        return phrases.Length == 1 ? phrases[0] : string.Join(", ", phrases[..^1]) + " and " + phrases[^1];
    }

    /// <summary>Colour and material in either order ("red glossy", "glossy red").</summary>
    static string Look(Random r, string color, Material material)
    {
        string word = Pick(r, MaterialWords(material));
        return word == "" ? color : r.Next(2) == 0 ? $"{color} {word}" : $"{word} {color}";
    }

    static string Surface(Random r, Surface surface) => Look(r, surface.Color, surface.Material);

    static string Behind(Random r, Scene s) => s.Background.Kind == BackgroundKind.Wall
        ? $" in front of {A(Look(r, s.Background.Color, s.Background.Material))} wall"
        : $" under {A(s.Background.Color)} sky";

    static string Motion(ObjectMotion m) => m.Kind switch
    {
        ObjectMotionKind.Slide => " sliding",
        ObjectMotionKind.Bounce => " bouncing",
        ObjectMotionKind.Spin => " spinning",
        _ => "",
    };

    static string Camera(Scene s) => s.CameraMotion.Kind switch
    {
        CameraMotionKind.Orbit => ", the camera orbits",
        CameraMotionKind.Dolly => s.CameraMotion.Amount > 0 ? ", the camera moves closer" : ", the camera pulls back",
        CameraMotionKind.Pan => ", the camera pans",
        _ => "",
    };

    static string Count(int n) => n switch { 1 => "one object", 2 => "two objects", _ => "three objects" };
    static string Word(Random r, Shape shape) => Pick(r, ShapeWords(shape));
    static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];
    static string A(string phrase) => ("aeiou".Contains(phrase[0]) ? "an " : "a ") + phrase;
    static string Clean(string caption) => string.Join(' ', caption.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
