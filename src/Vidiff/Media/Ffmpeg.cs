using System.Globalization;
using Vidiff.Runtime;

namespace Vidiff.Media;

/// <summary>
/// Runs Debian's ffmpeg and ffprobe (or the ones VIDIFF_FFMPEG / VIDIFF_FFPROBE name) with raw-frame pipes. Every run
/// is a <see cref="ChildProcess"/>: ended with vidiff, and bounded in time by the work it was given (<see cref="Bound"/>).
/// </summary>
public static class Ffmpeg
{
    /// <summary>The ffmpeg to run; a MediaException names the missing program (callers that turn a failed run into "not
    /// a video" ask for the path first, so a missing ffmpeg is never reported as a bad file).</summary>
    public static string FfmpegPath => Locate("VIDIFF_FFMPEG", "ffmpeg");
    public static string FfprobePath => Locate("VIDIFF_FFPROBE", "ffprobe");

    /// <summary>The slowest rate, in pixels decoded or encoded per second, that is still taken for work rather than a
    /// hang: 0.25 megapixels/s, 8 s for a 1080p frame, tens of times below what two cores do while the UNet runs beside.</summary>
    const double SlowestPixelsPerSecond = 250_000;

    /// <summary>
    /// How long ffmpeg may take for <paramref name="pixels"/> of work (frames × width × height): a fixed part for
    /// starting and reading headers (60 s; VIDIFF_FFMPEG_TIMEOUT seconds where set, for slow disks) and a part
    /// proportional to the work. A FIFO, a stalled network file or a filter that never ends hits it.
    /// </summary>
    public static TimeSpan Bound(double pixels = 0)
    {
        var configured = Environment.GetEnvironmentVariable("VIDIFF_FFMPEG_TIMEOUT");
        double seconds = 60;
        if (!string.IsNullOrEmpty(configured) && !(double.TryParse(configured, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) && seconds > 0 && double.IsFinite(seconds)))
            throw new ArgumentException($"VIDIFF_FFMPEG_TIMEOUT={configured}: expected a positive number of seconds");
        return TimeSpan.FromSeconds(Math.Min(seconds + Math.Max(0, pixels) / SlowestPixelsPerSecond, TimeSpan.MaxValue.TotalSeconds / 2));
    }

    /// <summary>A number as ffmpeg reads it: plain decimal, never an exponent (ffmpeg cannot read "1E-09").</summary>
    public static string Decimal(double value) =>
        double.IsFinite(value) && Math.Abs(value) < 7.9e27
            ? ((decimal)value).ToString(CultureInfo.InvariantCulture)
            : throw new ArgumentOutOfRangeException(nameof(value), value, "ffmpeg takes finite numbers below 10^27");

    static string Locate(string variable, string name)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? configured : throw new MediaException($"{variable}={configured}: no such file; expected the path of {name}");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new MediaException($"{name} not found; install it with: sudo apt-get install ffmpeg");
    }

    /// <summary>
    /// Runs ffmpeg with <paramref name="input"/> on stdin and returns stdout; a failure throws with ffmpeg's last words.
    /// <paramref name="doing"/> finishes "ffmpeg took longer than … while …"; <paramref name="pixels"/> is the work.
    /// </summary>
    public static byte[] Run(IEnumerable<string> arguments, string doing, double pixels = 0, ReadOnlyMemory<byte> input = default, string? subject = null) =>
        Run(FfmpegPath, ["-hide_banner", "-loglevel", "error", .. input.IsEmpty ? new[] { "-nostdin" } : [], .. arguments], doing, pixels, input, subject);

    public static byte[] Probe(IEnumerable<string> arguments, string doing, string? subject = null) =>
        Run(FfprobePath, ["-hide_banner", "-loglevel", "error", .. arguments], doing, 0, default, subject);

    static byte[] Run(string program, IEnumerable<string> arguments, string doing, double pixels, ReadOnlyMemory<byte> input, string? subject)
    {
        using var child = new ChildProcess(program, arguments, doing, input: !input.IsEmpty, output: true);
        var bound = Bound(pixels);
        var stdout = new MemoryStream();
        int code = child.Within(bound, () =>
        {
            var copy = child.Output.CopyToAsync(stdout);
            try
            {
                if (!input.IsEmpty) child.Input.Write(input.Span);
            }
            catch (IOException)
            {
                // ffmpeg closed its input early; its exit code and stderr say why.
            }
            int exit = child.Finish(bound);
            copy.Wait();
            return exit;
        });
        if (code != 0)
            throw new MediaException($"{subject ?? Path.GetFileName(program)}: {Path.GetFileName(program)} failed ({child.LastError})", child.LastError);
        return stdout.ToArray();
    }
}
