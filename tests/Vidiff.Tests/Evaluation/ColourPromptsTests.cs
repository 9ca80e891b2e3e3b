using Vidiff.Evaluation;
using Vidiff.Synthetic;

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
}
