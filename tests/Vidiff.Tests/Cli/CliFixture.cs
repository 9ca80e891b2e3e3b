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
        var run = Interrupt(exe, args, interruptAfter is null ? null : stdout => stdout.Contains(interruptAfter, StringComparison.Ordinal), signal,
            what: interruptAfter is null ? null : $"it printed '{interruptAfter}'");
        return (run.Code, run.Stdout, run.Stderr);
    }

    /// <summary>What an interrupted run did: its exit, its output, and the child processes it had when the signal was sent.</summary>
    public sealed record Interrupted(int Code, string Stdout, string Stderr, IReadOnlyList<int> Children, bool Signalled);

    /// <summary>
    /// Runs a program and sends it <paramref name="signal"/> once <paramref name="when"/> holds for its stdout so far
    /// (polled every 10 ms), noting its child processes at that moment. Bounded: a run that outlives
    /// <paramref name="bound"/> (default 3 min) is killed and the test fails, so no test can hang.
    /// </summary>
    public static Interrupted Interrupt(string exe, IEnumerable<string> args, Func<string, bool>? when, string signal = "INT",
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, TimeSpan? bound = null, string? what = null)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["VIDIFF_THREADS"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        using var p = new Process { StartInfo = psi };
        var stdout = new System.Text.StringBuilder();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
        };
        p.Start();
        p.BeginOutputReadLine();
        var stderr = p.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        var limit = bound ?? TimeSpan.FromMinutes(3);
        IReadOnlyList<int> children = [];
        bool signalled = false;
        while (!p.WaitForExit(10))
        {
            if (deadline.Elapsed > limit)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
                // A shell's background job (`cmd &` without job control) starts with SIGINT ignored, and children inherit
                // that: an interrupted run would then never stop, so say why.
                Assert.Fail($"{exe} {string.Join(' ', args)} did not end within {limit.TotalSeconds:0} s" + (when is null ? "" : signalled
                    ? $" of SIG{signal}; SIG{signal} may be ignored in the shell that started the tests (a background job without job control)."
                    : $"; it was to get SIG{signal} once {what ?? "ready"}, which never happened"));
            }
            string soFar;
            lock (stdout) soFar = stdout.ToString();
            if (when is not null && !signalled && when(soFar))
            {
                children = ChildrenOf(p.Id);
                signalled = true;
                using var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
            }
        }
        p.WaitForExit();
        lock (stdout) return new Interrupted(p.ExitCode, stdout.ToString(), stderr.Result, children, signalled);
    }

    /// <summary>The processes whose parent is <paramref name="pid"/>, from /proc.</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid) =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!, CultureInfo.InvariantCulture))
            .Where(child => Stat(child) is { } stat && stat.Parent == pid)];

    /// <summary>A process that still runs: present in /proc and not a zombie (a zombie has ended; only its parent's
    /// wait is missing).</summary>
    public static bool Alive(int pid) => Stat(pid) is { } stat && stat.State != 'Z' && stat.State != 'X';

    static (char State, int Parent)? Stat(int pid)
    {
        try
        {
            // "pid (comm) S ppid …": comm may hold spaces and parentheses, so read from the last ')'.
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return null;
        }
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
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => global::Vidiff.Runtime.Posix.KindOf(f) is var kind && kind == global::Vidiff.Runtime.FileKind.Regular
                ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))
                : kind.ToString()), StringComparer.Ordinal); // a named pipe is named, not read (reading it would wait for a writer)
}
