using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Evaluation;
using Vidiff.Synthetic;
using Vidiff.Tests.Pipelines;

namespace Vidiff.Tests.Evaluation;

public class ColourPromptsTests
{
    [Fact]
    public void TargetsGoRoundRobinAndAvoidTheClipsOwnColours()
    {
        Assert.Equal(["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "red"],
            Enumerable.Range(0, 9).Select(i => ColourPrompts.Target(i, 0, [])));
        Assert.Equal("yellow", ColourPrompts.Target(1, 0, ["orange", "white"]));
        Assert.Equal("red", ColourPrompts.Target(3, 4, ["pink"])); // 3 + 4 = pink, taken: wraps to red
    }

    [Fact]
    public void PromptsAreCaptionsOfTheRecolouredScene()
    {
        var scene = SceneSampler.Sample(new Random(11));
        var objects = ColourPrompts.Objects(scene, "cyan", seed: 3);
        Assert.Contains("cyan", objects);
        Assert.All(scene.Objects.Where(o => o.Color != scene.Floor.Color && o.Color != scene.Background.Color),
            o => Assert.DoesNotContain(o.Color, objects.Replace(scene.Floor.Color, "").Replace(scene.Background.Color, "")));
        var floor = ColourPrompts.Floor(scene, "purple", seed: 3);
        Assert.Contains("purple", floor);
        Assert.Contains("floor", floor);
        Assert.Equal(floor, ColourPrompts.Floor(scene, "purple", seed: 3));
    }

    [Fact]
    public void TheWorldsWordsMustEachBeOneKnownToken()
    {
        var mini = ClipTokenizer.Load(Vidiff.Tests.Checkpoints.Fixtures.Repository("models", "mini", ModelFolder.TokenizerFolder));
        ColourPrompts.CheckTokenizer(mini, mini.VocabSize, "mini");
        Assert.Contains("cyan", ColourPrompts.Words);
        Assert.Contains("donut", ColourPrompts.Words);

        // Trained on four captions: it spells most of the world's words in pieces.
        var few = EditFixtures.Tokenizer();
        var e = Assert.Throws<InvalidDataException>(() => ColourPrompts.CheckTokenizer(few, few.VocabSize, "few/tokenizer"));
        Assert.StartsWith("few/tokenizer lacks the procedural world's words ", e.Message);
        Assert.Contains("cyan", e.Message);
        Assert.Contains("torus", e.Message);

        // Every word a token, but beyond the text encoder's embedding table.
        e = Assert.Throws<InvalidDataException>(() => ColourPrompts.CheckTokenizer(mini, 300, "mini"));
        Assert.Contains("red", e.Message);
    }
}
