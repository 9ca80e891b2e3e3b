using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Media;

/// <summary>
/// Streams frames into a video (mp4/mov/mkv: H.264 yuv420p; webm: VP9; gif: palette) or a PNG folder (a path without
/// extension, or ending in '/'). Everything goes to a temporary file beside the target that <see cref="Complete"/>
/// renames into place; disposing an unfinished writer deletes it, so a cancelled edit leaves nothing behind. Without
/// <c>replace</c> an existing target is never replaced; with it, a folder only if it holds nothing but numbered frames
/// (<see cref="FrameFolder.Place"/>).
/// The audio of <c>audioFrom</c> (from its <c>audioStart</c>, for <c>audioDuration</c>) is carried to mp4/webm/mov/mkv.
/// </summary>
public sealed class VideoWriter : IDisposable
{
    readonly string target, temp;
    readonly bool folder, replace;
    readonly int width, height;
    readonly IDisposable cleanup;
    readonly ChildProcess ffmpeg;
    long written;

    public VideoWriter(string path, int width, int height, double fps, string? audioFrom = null, double? audioStart = null, double? audioDuration = null, bool replace = false)
    {
        this.replace = replace;
        target = System.IO.Path.GetFullPath(path);
        folder = IsFolder(path);
        target = target.TrimEnd('/');
        string ext = System.IO.Path.GetExtension(target).ToLowerInvariant();
        // yuv420p stores chroma per 2×2 block.
        if (!folder && ext != ".gif" && (width % 2 != 0 || height % 2 != 0))
            throw new MediaException($"{path}: frames must have even sizes for {ext} output, got {width}×{height}");
        string dir = System.IO.Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(dir);
        temp = AtomicFile.TempBeside(target);
        this.width = width;
        this.height = height;

        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-r", Ffmpeg.Decimal(fps), "-i", "-" };
        string? audioCodec = audioFrom is null ? null : AudioCodec(audioFrom);
        if (audioCodec is not null && (folder || ext == ".gif"))
            AudioNote = $"the audio of {audioFrom} is left out: {(folder ? "a PNG folder" : "a GIF")} has no sound";
        else if (audioCodec is not null)
        {
            if (audioStart is double s) args.AddRange(["-ss", Ffmpeg.Decimal(s)]);
            if (audioDuration is double d) args.AddRange(["-t", Ffmpeg.Decimal(d)]);
            args.AddRange(["-i", audioFrom!, "-map", "0:v:0", "-map", "1:a:0"]);
            // Copy the track unchanged where the container takes its codec; otherwise the container's usual codec.
            bool fits = ext == ".webm" ? audioCodec is "opus" or "vorbis" : ext == ".mkv" || audioCodec is "aac" or "mp3" or "alac" or "ac3";
            args.AddRange(fits ? ["-c:a", "copy"] : ["-c:a", ext == ".webm" ? "libopus" : "aac"]);
            if (!fits) AudioNote = $"the {audioCodec} audio of {audioFrom} is re-encoded to {(ext == ".webm" ? "opus" : "aac")} for {ext}";
        }
        cleanup = Shutdown.Temporary(temp);
        if (folder)
        {
            Directory.CreateDirectory(temp);
            args.AddRange(["-start_number", "0", System.IO.Path.Combine(temp, "%05d.png")]);
        }
        else
        {
            args.AddRange(ext switch
            {
                ".mp4" or ".mov" or ".mkv" => ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "medium"],
                ".webm" => ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-crf", "24", "-b:v", "0", "-row-mt", "1", "-cpu-used", "4"],
                ".gif" => ["-filter_complex", "split[a][b];[a]palettegen[p];[b][p]paletteuse", "-loop", "0"],
                _ => throw new MediaException($"{path}: cannot write '{ext}'; expected .mp4, .mov, .mkv, .webm, .gif or a folder for PNG frames"),
            });
            if (ext is ".mp4" or ".mov") args.AddRange(["-movflags", "+faststart"]);
            args.Add(temp);
        }

        try
        {
            ffmpeg = new ChildProcess(Ffmpeg.FfmpegPath, args, $"writing {path}", input: true);
        }
        catch
        {
            cleanup.Dispose();
            throw;
        }
    }

    /// <summary>An output path names a PNG folder when it ends in '/' or has no extension.</summary>
    public static bool IsFolder(string path) => path.EndsWith('/') || System.IO.Path.GetExtension(path).Length == 0;

    /// <summary>Set when the source's audio could not be copied unchanged (re-encoded, or left out of a GIF or PNG folder).</summary>
    public string? AudioNote { get; }

    /// <summary>The codec of the first audio stream, or null when the file has none (a light probe: no decoding).</summary>
    static string? AudioCodec(string path)
    {
        if (Directory.Exists(path)) return null; // a folder of images
        if (!File.Exists(path)) throw new MediaException($"{path}: no such file; expected the video whose audio to carry");
        var text = System.Text.Encoding.UTF8.GetString(Ffmpeg.Probe(
            ["-select_streams", "a:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path], $"reading the audio streams of {path}", path)).Trim();
        return text.Length > 0 ? text : null;
    }

    /// <summary>Appends frames [n, 3, H, W] in [-1, 1].</summary>
    public void Write(Tensor frames)
    {
        if (frames.dim() != 4 || frames.shape[1] != 3 || frames.shape[2] != height || frames.shape[3] != width)
            throw new ArgumentException($"expected frames [n, 3, {height}, {width}], got [{string.Join(", ", frames.shape)}]");
        var bytes = Pixels.ToRgb24(frames);
        try
        {
            // The pipe takes the frames as fast as ffmpeg encodes them: the bound is that encoding's.
            ffmpeg.Within(Ffmpeg.Bound(bytes.Length / 3), () => ffmpeg.Input.Write(bytes));
        }
        catch (IOException)
        {
            throw Failure();
        }
        written += frames.shape[0];
    }

    /// <summary>Finishes encoding and moves the output into place (replacing an existing one).</summary>
    public void Complete()
    {
        // A GIF's palette and x264's look-ahead are made at the end: the whole clip's encoding may still be ahead.
        if (ffmpeg.Finish(Ffmpeg.Bound((double)written * width * height)) != 0) throw Failure();
        if (folder) FrameFolder.Place(temp, target, replace);
        else Posix.Rename(temp, target, replace);
    }

    MediaException Failure()
    {
        try
        {
            ffmpeg.Finish(Ffmpeg.Bound());
        }
        catch (IOException)
        {
            // The pipe is broken already; ffmpeg's exit and last words are what count.
        }
        return new MediaException($"{target}: ffmpeg could not write the video ({ffmpeg.LastError})");
    }

    /// <summary>Ends ffmpeg and deletes the temporary output (nothing is left once <see cref="Complete"/> moved it into place).</summary>
    public void Dispose()
    {
        ffmpeg.Dispose();
        cleanup.Dispose();
    }
}
