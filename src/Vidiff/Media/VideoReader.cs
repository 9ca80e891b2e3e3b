using System.Globalization;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Media;

/// <summary>
/// Streams the selected, fitted frames of a video or image folder from one ffmpeg process as rgb24, so memory is
/// bounded by a chunk, not by the clip.
/// </summary>
public sealed class VideoReader : IDisposable
{
    readonly VideoProbe probe;
    readonly FrameSelection selection;
    readonly FrameFitting fitting;
    readonly MediaInput input;
    ChildProcess? process;

    public VideoReader(string path, FrameSelection selection, FrameFitting fitting) : this(VideoProbe.Run(path), selection, fitting)
    {
    }

    public VideoReader(VideoProbe probe, FrameSelection selection, FrameFitting fitting)
    {
        this.probe = probe;
        this.selection = selection;
        this.fitting = fitting;
        input = new MediaInput(probe, selection);
    }

    public VideoProbe Probe => probe;

    /// <summary>
    /// Chunks [n, 3, H, W] in [-1, 1] with n ≤ <paramref name="maxFrames"/>, until the selection ends. Each enumeration
    /// starts one ffmpeg from the beginning of the selection and stops the previous one (one enumeration at a time).
    /// </summary>
    public IEnumerable<Tensor> ReadChunks(int maxFrames)
    {
        if (maxFrames < 1) throw new ArgumentOutOfRangeException(nameof(maxFrames), maxFrames, "a chunk holds at least one frame");
        string filters = string.Join(',', new[] { selection.Filter, fitting.Filter }.Where(f => f.Length > 0));
        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-nostdin" };
        args.AddRange(input.Arguments);
        args.AddRange(["-vf", filters]);
        if (selection.MaxFrames is int m) args.AddRange(["-frames:v", m.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]);

        Stop();
        var ffmpeg = process = new ChildProcess(Ffmpeg.FfmpegPath, args, $"reading the frames of {probe.Path}", output: true);
        var stdout = ffmpeg.Output;
        int frameBytes = 3 * fitting.Width * fitting.Height;
        var buffer = new byte[frameBytes * maxFrames];
        // A chunk's bound: decoding the source frames it is made of (every N-th of them, say), plus, for the first,
        // the frames a seek to --start may decode.
        double sourceFrame = (double)probe.Width * probe.Height, chunkPixels = maxFrames * Math.Max(1, probe.FrameRate / selection.FrameRate(probe)) * sourceFrame;
        double seekPixels = (selection.Start ?? 0) * probe.FrameRate * sourceFrame;
        try
        {
            while (true)
            {
                int filled = ffmpeg.Within(Ffmpeg.Bound(chunkPixels + seekPixels), () =>
                {
                    int total = 0;
                    while (total < buffer.Length)
                    {
                        int read = stdout.Read(buffer, total, buffer.Length - total);
                        if (read == 0) break;
                        total += read;
                    }
                    return total;
                });
                seekPixels = 0;
                int frames = filled / frameBytes;
                if (frames > 0) yield return Pixels.FromRgb24(buffer, frames, fitting.Height, fitting.Width);
                if (filled < buffer.Length) break;
            }
            if (ffmpeg.Finish(Ffmpeg.Bound()) != 0)
                throw new MediaException($"{probe.Path}: ffmpeg failed while reading frames ({ffmpeg.LastError})");
        }
        finally
        {
            // A caller that stops early must not leave ffmpeg blocked on a full pipe.
            Stop();
        }
    }

    void Stop()
    {
        process?.Dispose();
        process = null;
    }

    public void Dispose()
    {
        Stop();
        input.Dispose();
    }
}
