namespace Vidiff.Synthetic;

/// <summary>
/// Renders the procedural world to a data set folder: dataset.json, clips/NNNNNN/ and images/NNNNNN/, each holding
/// frames/ (RGB PNG), depth/ (16-bit PNG, see <see cref="DepthScale"/>), masks/ (8-bit object ids) and clip.json.
/// Every clip is rendered into a temporary folder and renamed into place, so an interrupted run leaves only whole
/// clips, and a rerun with the same settings skips them.
/// </summary>
public static class SyntheticWriter
{
    public const string IndexFile = "dataset.json", ClipFile = "clip.json", ClipsFolder = "clips", ImagesFolder = "images";
    const string PartialSuffix = ".partial";

    /// <summary>Clip (or, when <paramref name="still"/>, image) number <paramref name="index"/> of the data set, in memory.</summary>
    public static RenderedClip Render(SynthSettings settings, bool still, int index)
    {
        int seed = EntrySeed(settings.Seed, still, index);
        var rng = new Random(seed);
        int frames = still ? 1 : rng.Next(settings.MinFrames, settings.MaxFrames + 1);
        var scene = SceneSampler.Sample(rng, moving: !still);
        var captions = Captioner.Captions(scene, rng);
        var options = new RenderOptions(settings.Size, settings.AntiAliasing);
        var times = Enumerable.Range(0, frames).Select(f => SceneMotion.TimeOf(f, frames)).ToArray();
        var rendered = times.Select(t => SceneRenderer.Render(scene, t, options)).ToArray();
        var info = new ClipInfo(EntryName(index), seed, settings.Size, frames, DepthScale.Spanning(rendered.Select(r => r.Depth)),
            captions, scene, times.Select(t => SceneMotion.CameraAt(scene, t)).ToArray());
        return new RenderedClip(info, rendered);
    }

    public static SynthSummary Write(string dir, SynthSettings settings, Action<SynthSummary>? progress = null)
    {
        settings.Validate();
        var started = DateTime.UtcNow;
        Directory.CreateDirectory(dir);
        var indexPath = Path.Combine(dir, IndexFile);
        if (File.Exists(indexPath))
        {
            var old = SyntheticJson.Read<DatasetInfo>(indexPath);
            if (old.Version != DatasetInfo.CurrentVersion)
                throw new InvalidOperationException($"{indexPath} holds version {old.Version} of the procedural world, whose scenes differ from this build's version {DatasetInfo.CurrentVersion}; write to another folder");
            var made = (old.Seed, old.Size, old.AntiAliasing, old.MinFrames, old.MaxFrames);
            var asked = (settings.Seed, settings.Size, settings.AntiAliasing, settings.MinFrames, settings.MaxFrames);
            if (made != asked)
                throw new InvalidOperationException($"{indexPath} was made with (seed, size, anti-aliasing, min frames, max frames) = {made}, not {asked}; resume with the same settings or write to another folder");
        }
        foreach (var folder in new[] { ClipsFolder, ImagesFolder })
        {
            Directory.CreateDirectory(Path.Combine(dir, folder));
            // Leftovers of an interrupted run: never complete, never counted.
            foreach (var partial in Directory.GetDirectories(Path.Combine(dir, folder), "*" + PartialSuffix)) Directory.Delete(partial, recursive: true);
        }
        WriteIndex(dir, settings);

        var entries = Enumerable.Range(0, settings.Clips).Select(i => (Still: false, Index: i))
            .Concat(Enumerable.Range(0, settings.Images).Select(i => (Still: true, Index: i))).ToArray();
        int written = 0, skipped = 0;
        long frames = 0;
        foreach (var (still, index) in entries)
        {
            var final = Path.Combine(dir, still ? ImagesFolder : ClipsFolder, EntryName(index));
            if (File.Exists(Path.Combine(final, ClipFile))) skipped++;
            else
            {
                var clip = Render(settings, still, index);
                var temp = final + PartialSuffix;
                ClipFiles.Write(temp, clip);
                if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
                Directory.Move(temp, final);
                written++;
                frames += clip.Frames.Count;
            }
            progress?.Invoke(new SynthSummary(entries.Length, written, skipped, frames, DateTime.UtcNow - started));
        }
        WriteIndex(dir, settings);
        return new SynthSummary(entries.Length, written, skipped, frames, DateTime.UtcNow - started);
    }

    public static string EntryName(int index) => index.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Each entry gets its own generator seed, mixed (SplitMix64) from the data set seed, its kind and its number,
    /// so entries are independent of each other and of how many there are. The mix is a bijection of the 64-bit
    /// (seed, kind, number) but only 31 bits are kept, so two data sets can share a scene seed by chance
    /// (Evaluation.HeldOutSet checks for that).
    /// </summary>
    public static int EntrySeed(int seed, bool still, int index)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) ^ (still ? 0xD1B54A32D192ED03UL : 0UL);
        z = unchecked(z + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }

    /// <summary>The index lists only entries whose clip.json is in place, i.e. complete ones.</summary>
    static void WriteIndex(string dir, SynthSettings s)
    {
        List<string> Complete(string folder) => Directory.GetDirectories(Path.Combine(dir, folder))
            .Where(d => !d.EndsWith(PartialSuffix, StringComparison.Ordinal) && File.Exists(Path.Combine(d, ClipFile)))
            .Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList();
        var clips = Complete(ClipsFolder);
        var images = Complete(ImagesFolder);
        long frames = clips.Sum(c => (long)SyntheticJson.Read<ClipInfo>(Path.Combine(dir, ClipsFolder, c, ClipFile)).Frames) + images.Count;
        SyntheticJson.Write(Path.Combine(dir, IndexFile),
            new DatasetInfo(DatasetInfo.CurrentVersion, s.Seed, s.Size, s.AntiAliasing, s.MinFrames, s.MaxFrames, clips, images, frames));
    }
}
