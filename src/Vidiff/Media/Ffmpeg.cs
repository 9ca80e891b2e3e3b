using System.Diagnostics;

namespace Vidiff.Media;

/// <summary>Runs Debian's ffmpeg and ffprobe (or the ones VIDIFF_FFMPEG / VIDIFF_FFPROBE name) with raw-frame pipes.</summary>
public static class Ffmpeg
{
    public static string FfmpegPath => Locate("VIDIFF_FFMPEG", "ffmpeg");
    public static string FfprobePath => Locate("VIDIFF_FFPROBE", "ffprobe");

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

    /// <summary>Runs ffmpeg with <paramref name="input"/> on stdin and returns stdout; a failure throws with ffmpeg's last words.</summary>
    public static byte[] Run(IEnumerable<string> arguments, ReadOnlyMemory<byte> input = default, string? subject = null) =>
        Run(FfmpegPath, ["-hide_banner", "-loglevel", "error", "-nostdin", .. arguments], input, subject);

    public static byte[] Probe(IEnumerable<string> arguments, string? subject = null) =>
        Run(FfprobePath, ["-hide_banner", "-loglevel", "error", .. arguments], default, subject);

    static byte[] Run(string program, IEnumerable<string> arguments, ReadOnlyMemory<byte> input, string? subject)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var args = arguments.ToList();
        // -nostdin would stop ffmpeg reading frames we pipe in; keep it only when nothing is piped.
        if (!input.IsEmpty) args.Remove("-nostdin");
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new MediaException($"could not start {program}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        try
        {
            if (!input.IsEmpty) process.StandardInput.BaseStream.Write(input.Span);
        }
        catch (IOException)
        {
            // ffmpeg closed its input early; its exit code and stderr say why.
        }
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var last = stderr.Result.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
            throw new MediaException($"{subject ?? Path.GetFileName(program)}: {Path.GetFileName(program)} failed ({last})");
        }
        return stdout.ToArray();
    }
}
