using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Media;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// A folder of the user's videos as UNet training data: each file ffmpeg reads (the folder's own files, not its
/// subfolders), every <c>stride</c>-th frame, fitted to the model's frame size by a centre crop, cut into clips of
/// <c>frames</c> consecutive frames (a remainder shorter than a clip is dropped; a video shorter than one clip is one
/// shorter clip). The last clip of each video of two clips or more is held out, so every video is seen in training and
/// measured on frames it was not trained on. Decoding is cached (<see cref="Save"/>), keyed by the files' names, sizes
/// and modification times and the sampling, so a resumed run does not decode again.
/// </summary>
public sealed class VideoClips : IDisposable
{
    public const string CacheFile = "clips.safetensors";

    public TrainingData Data { get; }

    /// <summary>"FILE: ffmpeg's reason" for each file that was skipped.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>Whether <see cref="Data"/> came from the cache (then <see cref="Save"/> has nothing new to write).</summary>
    public bool Cached { get; }

    VideoClips(TrainingData data, IReadOnlyList<string> skipped, bool cached)
    {
        Data = data;
        Skipped = skipped;
        Cached = cached;
    }

    /// <summary>
    /// The clips of <paramref name="folder"/>, from <paramref name="cache"/> when it was made from the same files with the
    /// same sampling. A folder that is missing, holds no files or no file ffmpeg reads is refused in one line naming it.
    /// </summary>
    public static VideoClips Open(string folder, FrameFitting fitting, int frames, int stride, string cache, IProgress<TrainingProgress>? progress = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"--data {folder} is not a folder; expected a folder of videos.");
        var files = Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"--data {folder} holds no files; expected a folder of videos ffmpeg can read.");
        var source = JsonSerializer.Serialize(new
        {
            files = files.Select(f => new FileInfo(f)).Select(f => $"{f.Name} {f.Length} {f.LastWriteTimeUtc.Ticks}"),
            fitting.Width,
            fitting.Height,
            fitting.Fit,
            frames,
            stride,
        });
        if (File.Exists(cache))
        {
            using var file = new SafetensorsFile(cache);
            if (file.Metadata.GetValueOrDefault("source") == source)
                return new VideoClips(TrainingData.Load(cache), JsonSerializer.Deserialize<string[]>(file.Metadata.GetValueOrDefault("skipped") ?? "[]") ?? [], cached: true);
        }

        var videos = new List<Tensor>();
        var starts = new List<long> { 0 };
        var heldOut = new List<int>();
        var skipped = new List<string>();
        try
        {
            foreach (var (path, i) in files.Select((f, i) => (f, i)))
            {
                progress?.Report(new TrainingProgress("reading videos, file", i, files.Count, double.NaN, 0, TimeSpan.Zero));
                using var scope = NewDisposeScope();
                Tensor video;
                try
                {
                    using var reader = new VideoReader(path, new FrameSelection(Every: stride), fitting);
                    video = cat(reader.ReadChunks(64).ToList(), 0);
                }
                catch (MediaException e)
                {
                    // Its message starts with the path; the line names the file once.
                    skipped.Add($"{Path.GetFileName(path)}: {(e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message)}");
                    continue;
                }
                long length = Math.Min(frames, video.shape[0]), count = video.shape[0] / length;
                videos.Add(((video.narrow(0, 0, count * length).clamp(-1, 1) + 1) * 127.5).round().to(ScalarType.Byte).MoveToOuterDisposeScope());
                for (long c = 0; c < count; c++) starts.Add(starts[^1] + length);
                if (count > 1) heldOut.Add(starts.Count - 2);
            }
            if (videos.Count == 0)
                throw new InvalidDataException($"--data {folder} holds no video ffmpeg can read ({string.Join("; ", skipped.Take(3))}{(skipped.Count > 3 ? $"; and {skipped.Count - 3} more" : "")}); expected a folder of videos.");
            var captions = Enumerable.Range(0, starts.Count - 1).Select(_ => (IReadOnlyList<string>)[]).ToList();
            return new VideoClips(new TrainingData(cat(videos, 0), null, starts, captions, heldOut) { Source = source }, skipped, cached: false);
        }
        finally
        {
            foreach (var v in videos) v.Dispose();
        }
    }

    public void Save(string cache)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        Data.Save(cache, new Dictionary<string, string> { ["skipped"] = JsonSerializer.Serialize(Skipped) });
    }

    public void Dispose() => Data.Dispose();
}
