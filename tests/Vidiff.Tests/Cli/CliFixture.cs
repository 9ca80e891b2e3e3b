using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Vidiff.Tests.Pipelines;

namespace Vidiff.Tests.Cli;

/// <summary>A tiny random model folder and short clips (ffmpeg test sources) shared by the CLI tests.</summary>
public sealed class CliFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("vidiff-cli-").FullName;
    public string Model => Path.Combine(Root, "model");

    /// <summary>1 s of 24 fps 32×24 colour bars with a 440 Hz tone.</summary>
    public string Clip => Path.Combine(Root, "clip.mp4");

    public CliFixture()
    {
        using (var model = EditFixtures.TinyModel()) model.Save(Model);
        Ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=24", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", Clip);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public static void Ffmpeg(params string[] args)
    {
        var (code, _, stderr) = Run("ffmpeg", ["-v", "error", "-y", .. args]);
        Assert.True(code == 0, $"ffmpeg {string.Join(' ', args)}: {stderr}");
    }

    /// <summary>Runs a program to its end; <paramref name="interruptAfter"/>: send <paramref name="signal"/> (default SIGINT, Ctrl+C) once a stdout line contains it.</summary>
    public static (int Code, string Stdout, string Stderr) Run(string exe, IEnumerable<string> args, string? interruptAfter = null, string signal = "INT")
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["VIDIFF_THREADS"] = "1";
        using var p = new Process { StartInfo = psi };
        var stdout = new System.Text.StringBuilder();
        bool interrupted = false;
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (interruptAfter is not null && !interrupted && e.Data.Contains(interruptAfter, StringComparison.Ordinal))
            {
                interrupted = true;
                using var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
            }
        };
        p.Start();
        p.BeginOutputReadLine();
        var stderr = p.StandardError.ReadToEndAsync();
        // A shell's background job (`cmd &` without job control) starts with SIGINT ignored, and children inherit that:
        // an interrupted run would then never stop, so give it a bound and say why.
        if (interruptAfter is not null && !p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"{exe} did not stop within 3 min of SIG{signal}{(interrupted ? "" : $" (it never printed '{interruptAfter}')")}; " +
                $"SIG{signal} may be ignored in the shell that started the tests (a background job without job control).");
        }
        p.WaitForExit();
        lock (stdout) return (p.ExitCode, stdout.ToString(), stderr.Result);
    }

    public static (int Code, string Stdout, string Stderr) Vidiff(params string[] args) =>
        Run(Path.Combine(AppContext.BaseDirectory, "vidiff"), args);

    /// <summary>vidiff's exit code and everything it printed (stdout, then stderr).</summary>
    public static (int Code, string Output) VidiffOutput(params string[] args)
    {
        var (code, stdout, stderr) = Vidiff(args);
        return (code, stdout + stderr);
    }

    /// <summary>Runs vidiff, asserts it exited with 0 and returns what it printed.</summary>
    public static string VidiffOk(params string[] args)
    {
        var (code, output) = VidiffOutput(args);
        Assert.True(code == 0, $"vidiff {string.Join(' ', args)} exited {code}: {output}");
        return output;
    }

    /// <summary>(frames, frame rate, has audio) as ffprobe counts them.</summary>
    public static (int Frames, double Fps, bool Audio) Probe(string video)
    {
        var (code, stdout, stderr) = Run("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames,r_frame_rate", "-of", "json", video]);
        Assert.True(code == 0, stderr);
        var streams = JsonDocument.Parse(stdout).RootElement.GetProperty("streams").EnumerateArray().ToList();
        var v = streams.Single(s => s.GetProperty("codec_type").GetString() == "video");
        var rate = v.GetProperty("r_frame_rate").GetString()!.Split('/').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return (int.Parse(v.GetProperty("nb_read_frames").GetString()!, CultureInfo.InvariantCulture), rate[0] / rate[1],
            streams.Any(s => s.GetProperty("codec_type").GetString() == "audio"));
    }

    /// <summary>Every file under a folder with its hash: "nothing was touched" is this being equal before and after.</summary>
    public static SortedDictionary<string, string> Snapshot(string dir) => new(
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".identity.json", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
