using Vidiff.Clip;
using Vidiff.Synthetic;

namespace Vidiff.Evaluation;

/// <summary>
/// Prompts that ask for a new object or floor colour, written by the <see cref="Captioner"/> from the clip's own scene
/// with that colour swapped in, so their wording is what the text encoder and prior were trained on (paper §4).
/// </summary>
public static class ColourPrompts
{
    /// <summary>
    /// Round-robin over the chromatic colours: clip <paramref name="index"/> asks for colour (index + offset) mod 8, or the
    /// next one that is not in <paramref name="avoid"/> (the clip's own colours), if any is left.
    /// </summary>
    public static string Target(int index, int offset, IEnumerable<string> avoid)
    {
        var colours = ColourNaming.Chromatic;
        var avoided = avoid.ToHashSet();
        for (int k = 0; k < colours.Count; k++)
        {
            var name = colours[(index + offset + k) % colours.Count].Name;
            if (!avoided.Contains(name)) return name;
        }
        return colours[(index + offset) % colours.Count].Name;
    }

    /// <summary>A caption of the scene with every object in <paramref name="colour"/>.</summary>
    public static string Objects(Scene scene, string colour, int seed) => Captioner.Captions(WithObjects(scene, colour), new Random(seed), count: 1)[0];

    /// <summary>A caption of the scene with the floor in <paramref name="colour"/>, from a template that names the floor.</summary>
    public static string Floor(Scene scene, string colour, int seed) =>
        Captioner.Captions(WithFloor(scene, colour), new Random(seed), count: int.MaxValue).First(c => c.Contains("floor", StringComparison.Ordinal));

    /// <summary>The words the prompts rest on: every colour and shape word of the world's captions, and "floor".</summary>
    public static IReadOnlyList<string> Words { get; } =
        [.. Palette.Colors.Select(c => c.Name), .. Enum.GetValues<Shape>().SelectMany(Captioner.ShapeWords), "floor"];

    /// <summary>
    /// Refuses a tokenizer that does not hold every one of <see cref="Words"/> as one token the text encoder knows (an id
    /// below <paramref name="textVocab"/>): a model trained on the procedural world has them (its tokenizer is trained on
    /// the captions), while a tokenizer of another vocabulary spells them in pieces, or as the unknown token, and its
    /// model has never read them, so the colour figures would measure nothing. <paramref name="source"/> names the tokenizer.
    /// </summary>
    public static void CheckTokenizer(ClipTokenizer tokenizer, int textVocab, string source)
    {
        var missing = Words.Where(w => tokenizer.Tokenize(w) is not [int id] || id == tokenizer.EndId || id >= textVocab).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{source} lacks the procedural world's words {string.Join(", ", missing)} (each must be one token the text encoder knows); " +
                "vidiff eval measures a model trained on that world's captions (vidiff train).");
    }

    /// <summary>The scene an object-colour prompt describes: every object in <paramref name="colour"/>, all else kept.</summary>
    public static Scene WithObjects(Scene scene, string colour) => scene with { Objects = scene.Objects.Select(o => o with { Color = colour }).ToArray() };

    /// <summary>The scene a floor-colour prompt describes: the floor in <paramref name="colour"/> (its material kept).</summary>
    public static Scene WithFloor(Scene scene, string colour) => scene with { Floor = scene.Floor with { Color = colour } };
}
