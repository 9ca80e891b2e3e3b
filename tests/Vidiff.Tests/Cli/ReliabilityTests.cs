using System.Globalization;
using System.Text.Json;

namespace Vidiff.Tests.Cli;

/// <summary>
/// Issue 16: nothing the user had is lost, no process outlives vidiff, nothing is left half-written, however a run ends.
/// Each test runs the built binary as a user would (docs/reliability.md lists which promise each one holds).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ReliabilityTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-reliable-").FullName;
    readonly string tools = Directory.CreateTempSubdirectory("vidiff-tools-").FullName;

    public void Dispose()
    {
        Directory.Delete(dir, recursive: true);
        Directory.Delete(tools, recursive: true);
    }

    string At(string name) => Path.Combine(dir, name);

    static string Exe => Path.Combine(AppContext.BaseDirectory, "vidiff");

    string[] Edit(string output, params string[] more) =>
        ["edit", fixture.Clip, "-p", "a red cube", "-o", output, "--model", fixture.Model, .. more.Contains("--steps") ? more : ["--steps", "1", .. more]];

    static string[] Entries(string folder) => [.. Directory.EnumerateFileSystemEntries(folder).Select(e => Path.GetFileName(e)).Order(StringComparer.Ordinal)];

    // §1: data loss.

    [Theory]
    [InlineData("edit")]
    [InlineData("depth")]
    public void OverwriteNeverDeletesAFolderHoldingFilesVidiffDidNotWrite(string command)
    {
        var folder = At("userdir");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "my notes");
        File.WriteAllText(Path.Combine(folder, "sub", "thesis.docx"), "my thesis");
        var before = CliFixture.Snapshot(dir);
        var (code, stdout, stderr) = CliFixture.Vidiff(command == "edit"
            ? Edit(folder, "--overwrite")
            : ["depth", fixture.Clip, "-o", folder, "--model", fixture.Model, "--overwrite"]);
        Assert.Equal(1, code);
        Assert.Contains("holds 2 entries Vidiff did not write (notes.txt, sub/)", stderr);
        Assert.DoesNotContain("frames", stdout); // refused before any work
        Assert.Equal(before, CliFixture.Snapshot(dir));
    }

    [Fact]
    public void OverwriteReplacesTheFramesOfAnEarlierRunAndTheSettingsGoBesideTheFolder()
    {
        var folder = At("frames");
        CliFixture.VidiffOk(Edit(folder, "--max-frames", "4"));
        Assert.Equal(["00000.png", "00001.png", "00002.png", "00003.png"], Entries(folder));
        // A trailing '/' once put the settings inside the folder as a hidden ".json".
        CliFixture.VidiffOk(Edit(folder + "/", "--max-frames", "2", "--overwrite"));
        Assert.Equal(["00000.png", "00001.png"], Entries(folder));
        Assert.Equal(["frames", "frames.json"], Entries(dir));
        using var settings = JsonDocument.Parse(File.ReadAllText(At("frames.json")));
        Assert.Equal(2, settings.RootElement.GetProperty("frames").GetInt32());
    }

    [Fact]
    public void NoOutputIsOrHoldsWhatTheRunReadsOrTheCurrentFolder()
    {
        var inputs = At("inputs");
        Directory.CreateDirectory(inputs);
        var clip = Path.Combine(inputs, "clip.mp4");
        File.Copy(fixture.Clip, clip);
        var here = Path.Combine(tools, "here"); // the current folder, outside the test folder so that '..' holds it alone
        Directory.CreateDirectory(here);
        File.WriteAllText(Path.Combine(here, "draft.txt"), "mine");
        var before = CliFixture.Snapshot(dir);
        var modelBefore = CliFixture.Snapshot(fixture.Model);
        foreach (var (output, expected) in new[]
        {
            (clip, $"Output {clip} is the input"), (inputs, "holds the input"), (dir, "holds the input"), ("/", "holds the input"),
            (fixture.Model, "is the model folder"), (".", "is the current folder"), ("..", "holds the current folder"),
        })
        {
            var run = CliFixture.Interrupt(Exe, ["edit", clip, "-p", "x", "-o", output, "--model", fixture.Model, "--steps", "1", "--overwrite"], when: null, workingDirectory: here);
            Assert.True(run.Code == 1, $"-o {output}: exit {run.Code}: {run.Stdout}{run.Stderr}");
            Assert.Contains(expected, run.Stderr);
        }
        Assert.Equal(before, CliFixture.Snapshot(dir));
        Assert.Equal(modelBefore, CliFixture.Snapshot(fixture.Model));
    }

    [Fact]
    public void AFileWhereAFolderIsAskedAndTheReverseAreRefusedBeforeAnyWork()
    {
        File.WriteAllText(At("userfile"), "mine");
        Directory.CreateDirectory(At("clip.mp4"));
        var before = CliFixture.Snapshot(dir);
        foreach (var (output, expected) in new[] { ("userfile", "userfile is a file, but a path without an extension names a folder"), ("clip.mp4", "clip.mp4 is a folder; expected the path of a file") })
        {
            var (code, stdout, stderr) = CliFixture.Vidiff(Edit(At(output), "--overwrite"));
            Assert.Equal(1, code);
            Assert.Contains(expected, stderr);
            Assert.DoesNotContain("frames", stdout);
        }
        Assert.Equal(before, CliFixture.Snapshot(dir));
        Assert.True(Directory.Exists(At("clip.mp4")));
    }

    [Fact]
    public void OverwriteKeepsASettingsFileVidiffDidNotWrite()
    {
        File.WriteAllText(At("out.mp4"), "an earlier result");
        File.WriteAllText(At("out.mp4.json"), """{ "my": "own notes" }""");
        var before = CliFixture.Snapshot(dir);
        var (code, _, stderr) = CliFixture.Vidiff(Edit(At("out.mp4"), "--overwrite"));
        Assert.Equal(1, code);
        Assert.Contains("out.mp4.json is not a settings file Vidiff wrote", stderr);
        Assert.Equal(before, CliFixture.Snapshot(dir));
    }

    // §2: processes and files left behind.

    /// <summary>480 frames, so that each phase of an edit lasts long enough to be interrupted in.</summary>
    string LongClip
    {
        get
        {
            var path = Path.Combine(fixture.Root, "long.mp4");
            if (!File.Exists(path))
                CliFixture.Ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=24", "-t", "20", "-c:v", "libx264", "-pix_fmt", "yuv420p", path);
            return path;
        }
    }

    [Theory]
    [InlineData("structure", "INT")]
    [InlineData("structure", "TERM")]
    [InlineData("denoise", "INT")]
    [InlineData("denoise", "TERM")]
    [InlineData("decode", "INT")]
    [InlineData("decode", "TERM")]
    public void ASignalInAnyPhaseOfAnEditLeavesNoProcessAndNoFile(string phase, string signal)
    {
        // With stdout not a terminal, the edit prints "phase …" as each phase begins; the signal follows that line.
        var run = CliFixture.Interrupt(Exe, ["edit", LongClip, "-p", "a red cube", "-o", At("out.mp4"), "--model", fixture.Model, "--preview",
            "--steps", phase == "denoise" ? "1000" : "1"], stdout => stdout.Contains($"{phase} …", StringComparison.Ordinal), signal);
        AssertStoppedCleanly(run, signal);
        Assert.NotEmpty(run.Children); // ffmpeg reading the input, ffmpeg writing the output and the preview
    }

    [Theory]
    [InlineData("VIDIFF_FFPROBE", "INT")]
    [InlineData("VIDIFF_FFPROBE", "TERM")]
    [InlineData("VIDIFF_FFMPEG", "INT")]
    [InlineData("VIDIFF_FFMPEG", "TERM")]
    public void ASignalWhileTheInputIsProbedEndsFfprobeAndFfmpeg(string program, string signal)
    {
        // ffprobe reading the streams, or ffmpeg counting the frames, of a file that takes its time (a slow disk, a huge
        // video): the stand-in notes its pid and sleeps in that call, and is the real ffmpeg for every other call.
        var (stand, pidFile) = StandIn(program == "VIDIFF_FFPROBE" ? "*" : "*scale=2:2*");
        var run = CliFixture.Interrupt(Exe, Edit(At("out.mp4")), _ => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0,
            signal, new Dictionary<string, string> { [program] = stand });
        AssertStoppedCleanly(run, signal);
        Assert.False(StillRunning(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture)), "the stalled ffmpeg outlived vidiff");
    }

    [Fact]
    public async Task OfTwoRunsWritingOnePathWithoutOverwriteTheSecondToFinishRefuses()
    {
        var output = At("out.mp4");
        var results = await Task.WhenAll(Enumerable.Range(1, 2).Select(seed => Task.Run(() => CliFixture.Vidiff(Edit(output, "--steps", "20", "--seed", $"{seed}")))));
        Assert.True(results.Select(r => r.Code).Order().SequenceEqual([0, 1]), string.Join("\n", results.Select(r => $"exit {r.Code}: {r.Stderr}")));
        var loser = results.Single(r => r.Code == 1);
        int winner = Array.FindIndex(results, r => r.Code == 0) + 1;
        Assert.Contains("already exists", loser.Stderr);
        Assert.Single(loser.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["out.mp4", "out.mp4.json"], Entries(dir));
        using var settings = JsonDocument.Parse(File.ReadAllText(output + ".json"));
        Assert.Equal(winner, settings.RootElement.GetProperty("seed").GetInt64());
    }

    // §3: hangs.

    [Fact]
    public void AStalledFfprobeIsStoppedAtItsBoundWithOneLineSayingWhatItWasDoing()
    {
        var (stand, pidFile) = StandIn("*");
        var run = CliFixture.Interrupt(Exe, Edit(At("out.mp4")), when: null,
            environment: new Dictionary<string, string> { ["VIDIFF_FFPROBE"] = stand, ["VIDIFF_FFMPEG_TIMEOUT"] = "2" }, bound: TimeSpan.FromMinutes(1));
        Assert.Equal(1, run.Code);
        Assert.Equal($"error: ffprobe-stand-in took longer than 2 s while reading the streams of {fixture.Clip}; it was stopped (set VIDIFF_FFMPEG_TIMEOUT to allow more)",
            run.Stderr.Trim());
        Assert.False(StillRunning(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture)));
        Assert.Empty(Entries(dir));
    }

    /// <summary>A stand-in for ffmpeg or ffprobe: on calls whose arguments match <paramref name="stall"/> (a shell
    /// pattern) it writes its pid and sleeps; on the others it is the real ffmpeg.</summary>
    (string Path, string PidFile) StandIn(string stall)
    {
        string name = stall == "*" ? "ffprobe-stand-in" : "ffmpeg-stand-in", path = Path.Combine(tools, name), pidFile = Path.Combine(tools, name + ".pid");
        string ffmpeg = global::Vidiff.Media.Ffmpeg.FfmpegPath;
        File.WriteAllText(path, $"""
            #!/bin/sh
            case "$*" in {stall}) echo $$ > '{pidFile}'; exec sleep 600;; esac
            exec '{ffmpeg}' "$@"

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (path, pidFile);
    }

    /// <summary>The run was stopped by the signal, as the user is told, with no child left running and nothing left in
    /// the output folder (which held nothing before).</summary>
    void AssertStoppedCleanly(CliFixture.Interrupted run, string signal)
    {
        Assert.True(run.Signalled, $"the signal was never sent: {run.Stdout}{run.Stderr}");
        Assert.True(run.Code == (signal == "INT" ? 130 : 143), $"exit {run.Code}: {run.Stdout}{run.Stderr}");
        Assert.Equal($"cancelled by SIG{signal}; no output was written", run.Stderr.Trim());
        Assert.DoesNotContain("wrote", run.Stdout);
        foreach (var child in run.Children) Assert.False(StillRunning(child), $"child {child} outlived vidiff");
        Assert.Empty(Entries(dir));
    }

    /// <summary>Whether <paramref name="pid"/> still runs after a grace of 2 s (a child killed at exit takes a moment to go).</summary>
    static bool StillRunning(int pid)
    {
        for (int i = 0; i < 200 && CliFixture.Alive(pid); i++) Thread.Sleep(10);
        return CliFixture.Alive(pid);
    }
}
