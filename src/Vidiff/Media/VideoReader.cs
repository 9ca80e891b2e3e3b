using System.Diagnostics;
using System.Globalization;
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
    Process? process;

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

        var info = new ProcessStartInfo(Ffmpeg.FfmpegPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        Stop();
        var ffmpeg = process = Process.Start(info) ?? throw new MediaException($"{probe.Path}: could not start ffmpeg");
        var stderr = ffmpeg.StandardError.ReadToEndAsync();
        var stdout = ffmpeg.StandardOutput.BaseStream;
        int frameBytes = 3 * fitting.Width * fitting.Height;
        var buffer = new byte[frameBytes * maxFrames];
        try
        {
            while (true)
            {
                int filled = 0;
                while (filled < buffer.Length)
                {
                    int read = stdout.Read(buffer, filled, buffer.Length - filled);
                    if (read == 0) break;
                    filled += read;
                }
                int frames = filled / frameBytes;
                if (frames > 0) yield return Pixels.FromRgb24(buffer, frames, fitting.Height, fitting.Width);
                if (filled < buffer.Length) break;
            }
            ffmpeg.WaitForExit();
            if (ffmpeg.ExitCode != 0)
                throw new MediaException($"{probe.Path}: ffmpeg failed while reading frames ({stderr.Result.Trim().Split('\n').LastOrDefault()?.Trim()})");
        }
        finally
        {
            // A caller that stops early must not leave ffmpeg blocked on a full pipe.
            Stop();
        }
    }

    void Stop()
    {
        if (process is { HasExited: false }) process.Kill();
        process?.WaitForExit();
        process?.Dispose();
        process = null;
    }

    public void Dispose()
    {
        Stop();
        input.Dispose();
    }
}
