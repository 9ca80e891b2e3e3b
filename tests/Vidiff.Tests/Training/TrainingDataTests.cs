using Vidiff.Pipelines.Training;
using static TorchSharp.torch;

namespace Vidiff.Tests.Training;

public sealed class TrainingDataTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("vidiff-data-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void CacheRoundTripKeepsFramesDepthAndCaptions()
    {
        using var data = TinyWorld.Data();
        var path = Path.Combine(root, TrainingData.CacheFile);
        data.Save(path);
        using var loaded = TrainingData.Load(path);
        Assert.True(loaded.Frames.eq(data.Frames).all().item<bool>());
        Assert.True(loaded.Depth!.eq(data.Depth!).all().item<bool>());
        Assert.Equal(data.ClipStart, loaded.ClipStart);
        Assert.Equal(data.HeldOutClips, loaded.HeldOutClips);
        Assert.Equal(data.Captions, loaded.Captions);
    }

    [Fact]
    public void PixelsComeBackInRangeWithinAQuantisationStep()
    {
        var frames = rand(2, 3, 4, 4) * 2 - 1;
        using var data = TrainingData.FromClips([(frames, ones(2, 1, 4, 4), ["a"])]);
        var back = data.Pixels([0, 1]);
        Assert.True((back - frames).abs().max().item<float>() <= 1 / 127.5f + 1e-6);
        Assert.Equal([0], data.TrainingClips);
        Assert.Empty(data.HeldOutClips);
    }

    [Fact]
    public void EveryTwentiethClipIsHeldOutSoStillsAndClipsAreBothRepresented()
    {
        using var data = TrainingData.FromClips(Enumerable.Range(0, 45).Select(i => (zeros(1, 3, 2, 2), ones(1, 1, 2, 2), (IReadOnlyList<string>)[$"c{i}"])));
        Assert.Equal([19, 39], data.HeldOutClips);
        Assert.Equal(43, data.TrainingClips.Length);
        Assert.DoesNotContain(19, data.TrainingClips);
    }

    [Fact]
    public void HeldOutClipsAreNeverDrawnForTraining()
    {
        using var data = TinyWorld.Data();
        Assert.Equal([0, 1, 2, 3, 4], data.TrainingClips);
        Assert.Equal([5], data.HeldOutClips);
        var rng = new Random(1);
        for (int i = 0; i < 50; i++)
        {
            Assert.All(data.RandomClips(rng, 4), c => Assert.InRange(c, 0, 4));
            Assert.All(data.RandomClips(rng, 2, heldOut: true), c => Assert.Equal(5, c));
        }
        var window = data.RandomWindow(rng, 2, 8);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => window[0] + i), window);
        Assert.InRange(window[0], data.ClipStart[2], data.ClipStart[3] - 8);
    }

    [Fact]
    public void ClipsWithMismatchedStartsAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new TrainingData(zeros(3, 3, 4, 4, dtype: ScalarType.Byte), zeros(3, 1, 4, 4), [0, 2], [["a"]]));
        Assert.Contains("clip starts", e.Message);
    }
}
