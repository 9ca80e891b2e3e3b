using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// A synthetic data set held in memory for training: every frame as uint8 RGB, the renderer's exact depth as float16,
/// and the captions of each clip. Decoding thousands of PNGs takes minutes, so the first use writes a cache file into
/// the data folder (atomically) and later runs load it in seconds. Every twentieth clip is held out for the stages'
/// figures (spread over the set, so clips and stills are both represented); batches are drawn with the step's own generator, so resumed runs draw the same batches.
/// A folder of the user's videos (<see cref="VideoClips"/>) gives frames without depth and its own held-out clips.
/// </summary>
public sealed class TrainingData : IDisposable
{
    public const string CacheFile = "training-cache.safetensors";

    /// <summary>[N, 3, H, W] uint8.</summary>
    public Tensor Frames { get; }

    /// <summary>[N, 1, H, W] float16 camera depth in metres (the renderer's exact depth); null for videos, which have none.</summary>
    public Tensor? Depth { get; }

    /// <summary>Clip c holds frames ClipStart[c] .. ClipStart[c + 1] − 1.</summary>
    public IReadOnlyList<long> ClipStart { get; }

    public IReadOnlyList<IReadOnlyList<string>> Captions { get; }

    public int Clips => Captions.Count;
    public int Size => (int)Frames.shape[2];

    /// <summary>Clips 19, 39, 59, … are held out (the last one when there are 2 to 19), unless the data says which; the others train.</summary>
    public int[] TrainingClips { get; }

    public int[] HeldOutClips { get; }

    /// <summary>What the frames were made from, for caches of what is computed from them ("" when the frame count says enough).</summary>
    public string Source { get; init; } = "";

    public TrainingData(Tensor frames, Tensor? depth, IReadOnlyList<long> clipStart, IReadOnlyList<IReadOnlyList<string>> captions, IReadOnlyCollection<int>? heldOut = null)
    {
        if (frames.dtype != ScalarType.Byte || frames.dim() != 4 || frames.shape[1] != 3)
            throw new ArgumentException($"frames must be uint8 [N, 3, H, W], got {frames.dtype} [{string.Join(", ", frames.shape)}]", nameof(frames));
        if (depth is not null && (depth.dim() != 4 || depth.shape[0] != frames.shape[0] || depth.shape[1] != 1))
            throw new ArgumentException($"depth must be [{frames.shape[0]}, 1, H, W], got [{string.Join(", ", depth.shape)}]", nameof(depth));
        if (clipStart.Count != captions.Count + 1 || clipStart[0] != 0 || clipStart[^1] != frames.shape[0])
            throw new ArgumentException($"clip starts must run from 0 to {frames.shape[0]} with one entry per clip plus one", nameof(clipStart));
        Frames = frames;
        Depth = depth?.to(ScalarType.Float16);
        ClipStart = clipStart;
        Captions = captions;
        int n = captions.Count;
        bool held(int c) => heldOut?.Contains(c) ?? (n >= 20 ? c % 20 == 19 : n >= 2 && c == n - 1);
        TrainingClips = [.. Enumerable.Range(0, n).Where(c => !held(c))];
        HeldOutClips = [.. Enumerable.Range(0, n).Where(held)];
    }

    /// <summary>Clips as float frames [F, 3, H, W] in [−1, 1], depth [F, 1, H, W] in metres and their captions.</summary>
    public static TrainingData FromClips(IEnumerable<(Tensor Frames, Tensor Depth, IReadOnlyList<string> Captions)> clips)
    {
        var frames = new List<Tensor>();
        var depths = new List<Tensor>();
        var starts = new List<long> { 0 };
        var captions = new List<IReadOnlyList<string>>();
        foreach (var (f, d, c) in clips)
        {
            using var scope = NewDisposeScope();
            frames.Add(((f.clamp(-1, 1) + 1) * 127.5).round().to(ScalarType.Byte).MoveToOuterDisposeScope());
            depths.Add(d.to(ScalarType.Float16).MoveToOuterDisposeScope());
            starts.Add(starts[^1] + f.shape[0]);
            captions.Add(c);
        }
        if (captions.Count == 0) throw new ArgumentException("The data set has no clips.");
        return new TrainingData(cat(frames, 0), cat(depths, 0), starts, captions);
    }

    /// <summary>
    /// The data set in <paramref name="dir"/> (written by <c>vidiff synth</c>): from its cache file when that is newer
    /// than dataset.json, else decoded once and cached.
    /// </summary>
    public static TrainingData Open(string dir)
    {
        string index = Path.Combine(dir, SyntheticWriter.IndexFile), cache = Path.Combine(dir, CacheFile);
        if (!File.Exists(index))
            throw new FileNotFoundException($"{dir} is not a synthetic data set: it has no {SyntheticWriter.IndexFile} (make one with vidiff synth --out {dir})", index);
        if (File.Exists(cache) && File.GetLastWriteTimeUtc(cache) >= File.GetLastWriteTimeUtc(index)) return Load(cache);
        var data = FromClips(Decode(SyntheticDataset.Open(dir)));
        data.Save(cache);
        return data;
    }

    /// <summary>Clips, then stills (one-frame clips), each decoded when reached and released after it is quantised.</summary>
    static IEnumerable<(Tensor Frames, Tensor Depth, IReadOnlyList<string> Captions)> Decode(SyntheticDataset set)
    {
        foreach (var clip in set.Clips.Concat(set.Images))
        {
            using var frames = clip.LoadFrames();
            using var depth = clip.LoadDepth();
            yield return (frames, depth, clip.Captions);
        }
    }

    /// <summary>Writes the set; <paramref name="metadata"/> adds entries (the caller's cache key) beside the captions and <see cref="Source"/>.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor> { ["frames"] = Frames, ["clip_start"] = tensor(ClipStart.ToArray()), ["held_out"] = tensor(HeldOutClips) };
        if (Depth is not null) tensors["depth"] = Depth;
        Safetensors.Write(path, tensors, new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["captions"] = JsonSerializer.Serialize(Captions),
            ["source"] = Source,
        });
    }

    public static TrainingData Load(string path)
    {
        using var file = new SafetensorsFile(path);
        var captions = JsonSerializer.Deserialize<string[][]>(file.Metadata.GetValueOrDefault("captions") ?? "null")
            ?? throw new InvalidDataException($"{path} has no captions in its metadata; delete it and it will be rebuilt");
        int[]? heldOut = file.Keys.Contains("held_out") ? file.Read("held_out").data<int>().ToArray() : null;
        return new TrainingData(file.Read("frames"), file.Keys.Contains("depth") ? file.Read("depth") : null, file.Read("clip_start").data<long>().ToArray(), captions, heldOut)
        {
            Source = file.Metadata.GetValueOrDefault("source") ?? "",
        };
    }

    public int FrameCount(int clip) => (int)(ClipStart[clip + 1] - ClipStart[clip]);

    /// <summary>Where <see cref="Pixels"/> and <see cref="DepthOf"/> place a batch: the training device. The data set
    /// itself stays in CPU memory; a batch crosses to the device as it is read.</summary>
    public Device Device { get; set; } = CPU;

    /// <summary>Frames at the given indices as float [n, 3, H, W] in [−1, 1], on <see cref="Device"/>.</summary>
    public Tensor Pixels(long[] frames) => Frames.index_select(0, tensor(frames)).to(ScalarType.Float32, Device) / 127.5f - 1;

    /// <summary>Depth at the given indices as float [n, 1, H, W] metres, on <see cref="Device"/>.</summary>
    public Tensor DepthOf(long[] frames) => (Depth ?? throw new InvalidOperationException("This data set has no true depth (a folder of videos); the depth stage trains on a synthetic set."))
        .index_select(0, tensor(frames)).to(ScalarType.Float32, Device);

    /// <summary>n distinct clips (with replacement when there are fewer), from the training or held-out clips.</summary>
    public int[] RandomClips(Random rng, int n, bool heldOut = false)
    {
        int[] order = [.. heldOut ? HeldOutClips : TrainingClips];
        if (order.Length == 0) throw new InvalidOperationException($"The data set has no {(heldOut ? "held-out" : "training")} clips.");
        rng.Shuffle(order);
        return [.. Enumerable.Range(0, n).Select(i => order[i % order.Length])];
    }

    /// <summary>One random frame of each clip.</summary>
    public long[] RandomFrameOf(Random rng, int[] clips) => [.. clips.Select(c => ClipStart[c] + rng.Next(FrameCount(c)))];

    public string RandomCaption(Random rng, int clip) => Captions[clip][rng.Next(Captions[clip].Count)];

    /// <summary>The training (or held-out) clips with at least <paramref name="frames"/> frames.</summary>
    public int[] ClipsWithAtLeast(int frames, bool heldOut = false) => [.. (heldOut ? HeldOutClips : TrainingClips).Where(c => FrameCount(c) >= frames)];

    /// <summary>A random window of <paramref name="frames"/> consecutive frames of the clip.</summary>
    public long[] RandomWindow(Random rng, int clip, int frames)
    {
        long start = ClipStart[clip] + rng.Next(FrameCount(clip) - frames + 1);
        return [.. Enumerable.Range(0, frames).Select(i => start + i)];
    }

    public void Dispose()
    {
        Frames.Dispose();
        Depth?.Dispose();
    }
}
