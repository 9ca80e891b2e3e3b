using Vidiff.Synthetic;

namespace Vidiff.Evaluation;

/// <summary>
/// The scenes an evaluation edits, rendered by <see cref="SyntheticWriter"/> with their own data set seed into a cache
/// folder (reused by later runs): clips to edit, and stills whose objects share one chromatic colour, as reference
/// images for content from an image (paper §4).
/// <para>
/// Held out means no clip or still shares its scene seed with the training set. Every entry's generator is seeded by
/// <see cref="SyntheticWriter.EntrySeed"/>, a 64-bit mix of (data set seed, kind, number) cut to 31 bits, so a
/// different data set seed alone makes a shared scene unlikely (≈ 1.4·10⁻⁶ per clip against 3000 training entries)
/// but not impossible. Entries whose seed equals that of any of the first <see cref="TrainingEntriesChecked"/> clips
/// or stills of the training seed are therefore skipped: the guarantee holds for any training set of up to that many
/// clips and stills made with that seed.
/// </para>
/// </summary>
public sealed class HeldOutSet
{
    /// <summary>Clips and stills of the training seed whose scene seeds are excluded (each kind).</summary>
    public const int TrainingEntriesChecked = 1 << 20;

    /// <summary>The speed figure's clip length (issue 5 §4); clips are rendered at least this long.</summary>
    public const int MinRenderedFrames = 16;

    public string Directory { get; }
    public IReadOnlyList<SyntheticClip> Clips { get; }

    /// <summary>The renderer's anti-aliasing of the set (<see cref="SynthSettings.AntiAliasing"/>), for <see cref="PerfectEdit"/>.</summary>
    public int AntiAliasing { get; }

    /// <summary>References[i] is the reference still for Clips[i]: its objects share one chromatic colour not among Clips[i]'s.</summary>
    public IReadOnlyList<SyntheticClip> References { get; }

    HeldOutSet(string dir, IReadOnlyList<SyntheticClip> clips, IReadOnlyList<SyntheticClip> references, int antiAliasing) =>
        (Directory, Clips, References, AntiAliasing) = (dir, clips, references, antiAliasing);

    /// <summary>
    /// Renders (or reuses) <paramref name="clips"/> clips of max(<paramref name="frames"/>, 16) frames and enough stills in
    /// <paramref name="dir"/>, all <paramref name="size"/>² pixels, from data set seed <paramref name="seed"/>.
    /// </summary>
    public static HeldOutSet Prepare(string dir, int clips, int frames, int size, int seed, int trainingSeed, Action<SynthSummary>? progress = null)
    {
        if (clips < 1) throw new ArgumentException($"--clips must be at least 1, got {clips}.");
        if (seed == trainingSeed) throw new ArgumentException($"--seed {seed} is the training data's seed; held-out scenes need another one.");
        var training = TrainingSeeds(trainingSeed);
        var clipIndices = Safe(seed, still: false, training).Take(clips).ToArray();
        int rendered = Math.Max(frames, MinRenderedFrames);

        // About a quarter of stills qualify as references; render more until every clip has one.
        for (int stills = 8 * clips; ; stills *= 2)
        {
            var settings = new SynthSettings(clipIndices[^1] + 1, seed, size, rendered, rendered, stills);
            SyntheticWriter.Write(dir, settings, progress);
            var data = SyntheticDataset.Open(dir);
            var byName = data.Clips.ToDictionary(c => Path.GetFileName(c.Directory));
            var chosen = clipIndices.Select(i => byName[SyntheticWriter.EntryName(i)]).ToArray();
            var candidates = data.Images
                .Where(s => int.Parse(Path.GetFileName(s.Directory), System.Globalization.CultureInfo.InvariantCulture) < stills)
                .Where(s => !training.Contains(s.Info.Seed) && ObjectColour(s.Scene) is not null).ToList();
            var references = new List<SyntheticClip>();
            foreach (var clip in chosen)
            {
                var own = clip.Scene.Objects.Select(o => o.Color).ToHashSet();
                var pick = candidates.FirstOrDefault(s => !own.Contains(ObjectColour(s.Scene)!));
                if (pick is null) break;
                candidates.Remove(pick);
                references.Add(pick);
            }
            if (references.Count == chosen.Length) return new HeldOutSet(dir, chosen, references, data.Info.AntiAliasing);
            if (stills >= 64 * clips) throw new InvalidDataException($"{dir}: {stills} stills gave only {references.Count} reference images for {clips} clips.");
        }
    }

    /// <summary>The colour all of a scene's objects share, if it is chromatic; else null.</summary>
    public static string? ObjectColour(Scene scene)
    {
        var colours = scene.Objects.Select(o => o.Color).Distinct().ToArray();
        return colours.Length == 1 && ColourNaming.IsChromatic(colours[0]) ? colours[0] : null;
    }

    /// <summary>Entry numbers of data set <paramref name="seed"/>, in order, whose scene seed is not a training one.</summary>
    public static IEnumerable<int> Safe(int seed, bool still, IReadOnlySet<int> training)
    {
        for (int i = 0; ; i++)
            if (!training.Contains(SyntheticWriter.EntrySeed(seed, still, i))) yield return i;
    }

    /// <summary>The scene seeds of the first <see cref="TrainingEntriesChecked"/> clips and stills of <paramref name="trainingSeed"/>.</summary>
    public static IReadOnlySet<int> TrainingSeeds(int trainingSeed)
    {
        var seeds = new HashSet<int>(2 * TrainingEntriesChecked);
        for (int i = 0; i < TrainingEntriesChecked; i++)
        {
            seeds.Add(SyntheticWriter.EntrySeed(trainingSeed, still: false, i));
            seeds.Add(SyntheticWriter.EntrySeed(trainingSeed, still: true, i));
        }
        return seeds;
    }
}
