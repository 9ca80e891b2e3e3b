using Vidiff.Evaluation;
using Vidiff.Synthetic;

namespace Vidiff.Tests.Evaluation;

public sealed class HeldOutSetTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-heldout-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void HeldOutSeedsSkipEveryTrainingScene()
    {
        var training = HeldOutSet.TrainingSeeds(trainingSeed: 1);
        Assert.Equal(2 * HeldOutSet.TrainingEntriesChecked, training.Count, 2 * HeldOutSet.TrainingEntriesChecked / 1000.0); // 31 bits: a few coincide

        // 31-bit seeds do collide by chance: find a clip of data set seed 2 that shares its scene with a training entry.
        int collision = Enumerable.Range(0, 100_000).First(i => training.Contains(SyntheticWriter.EntrySeed(2, still: false, i)));
        var safe = HeldOutSet.Safe(2, still: false, training).TakeWhile(i => i <= collision + 5).ToArray();
        Assert.DoesNotContain(collision, safe);
        Assert.Equal(collision + 5, safe.Length); // only the colliding ones are skipped (here, one)

        // Checked independently against the first training clips and stills.
        var direct = Enumerable.Range(0, 5000).SelectMany(i => new[] { SyntheticWriter.EntrySeed(1, false, i), SyntheticWriter.EntrySeed(1, true, i) }).ToHashSet();
        Assert.DoesNotContain(safe, i => direct.Contains(SyntheticWriter.EntrySeed(2, false, i)));
    }

    [Fact]
    public void SameSeedAsTrainingIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => HeldOutSet.Prepare(dir, 1, 4, 16, seed: 1, trainingSeed: 1));
        Assert.Contains("training data's seed", e.Message);
    }

    [Fact]
    public void PreparedSetHasHeldOutClipsAndOneColourReferences()
    {
        var set = HeldOutSet.Prepare(dir, clips: 2, frames: 4, size: 8, seed: 2, trainingSeed: 1);
        var training = HeldOutSet.TrainingSeeds(1);
        Assert.Equal(2, set.Clips.Count);
        Assert.Equal(2, set.References.Count);
        Assert.All(set.Clips.Concat(set.References), c => Assert.DoesNotContain(c.Info.Seed, training));
        Assert.All(set.Clips, c => Assert.Equal(HeldOutSet.MinRenderedFrames, c.FrameCount));
        for (int i = 0; i < 2; i++)
        {
            var colour = HeldOutSet.ObjectColour(set.References[i].Scene);
            Assert.NotNull(colour);
            Assert.DoesNotContain(colour, set.Clips[i].Scene.Objects.Select(o => o.Color));
        }
        Assert.Equal(2, set.References.Select(r => r.Directory).Distinct().Count());

        // A second run reuses the cache and picks the same scenes.
        var again = HeldOutSet.Prepare(dir, clips: 2, frames: 4, size: 8, seed: 2, trainingSeed: 1);
        Assert.Equal(set.References.Select(r => r.Info.Name), again.References.Select(r => r.Info.Name));
    }
}
