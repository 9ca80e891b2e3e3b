using Vidiff.Pipelines;

namespace Vidiff.Tests.Pipelines;

public class FrameWindowsTests
{
    [Theory]
    [InlineData(1, 16, 4)]
    [InlineData(16, 16, 4)]
    [InlineData(17, 16, 4)]
    [InlineData(240, 16, 4)]
    [InlineData(100, 8, 7)]
    [InlineData(33, 16, 0)]
    public void WindowsCoverEveryFrameWithWeightsSummingToOne(int frames, int window, int overlap)
    {
        var plan = FrameWindows.Plan(frames, window, overlap);
        var sum = new double[frames];
        foreach (var w in plan.Windows)
        {
            Assert.InRange(w.Start, 0, frames - w.Length);
            Assert.Equal(Math.Min(frames, window), w.Length);
            for (int i = 0; i < w.Length; i++)
            {
                Assert.True(w.Weights[i] > 0, $"frame {w.Start + i} has zero weight in the window at {w.Start}");
                sum[w.Start + i] += w.Weights[i];
            }
        }
        Assert.All(sum, s => Assert.Equal(1.0, s, 5));
        Assert.Equal(0, plan.Windows[0].Start);
        Assert.Equal(frames, plan.Windows[^1].Start + plan.Windows[^1].Length);
    }

    [Fact]
    public void AnchorsAreTheFirstFrameAndThePreviousWindowsLast()
    {
        var plan = FrameWindows.Plan(40, 16, 4); // windows at 0, 12, 24
        Assert.Equal([0, 12, 24], plan.Windows.Select(w => w.Start));
        Assert.Equal([0], plan.Anchors(0));
        Assert.Equal([0, 3], plan.Anchors(1)); // frame 15, the first window's last
        Assert.Equal([0, 3], plan.Anchors(2)); // frame 27
        // Windows that share no frame anchor to their own first alone; so does a window sharing just its first.
        var apart = FrameWindows.Plan(32, 16, 0);
        Assert.Equal([0, 16], apart.Windows.Select(w => w.Start));
        Assert.Equal([0], apart.Anchors(1));
        var touching = FrameWindows.Plan(31, 16, 1);
        Assert.Equal([0, 15], touching.Windows.Select(w => w.Start));
        Assert.Equal([0], touching.Anchors(1));
    }

    [Fact]
    public void NeighboursOverlapByAtLeastTheRequestedFrames()
    {
        var plan = FrameWindows.Plan(100, 16, 4);
        for (int i = 1; i < plan.Windows.Count; i++)
            Assert.True(plan.Windows[i - 1].Start + 16 - plan.Windows[i].Start >= 4);
    }

    [Fact]
    public void BadPlansNameTheValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FrameWindows.Plan(10, 8, 8));
        Assert.Contains("[0, 7]", e.Message);
    }
}
