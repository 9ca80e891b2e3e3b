using Vidiff.Checkpoints;

namespace Vidiff.Tests.Cli;

/// <summary>
/// Issue 3 §4: every bad input gets one line naming the file or value and what was expected, a non-zero exit code,
/// and leaves every existing file untouched (the test folder holds an existing output the whole time).
/// </summary>
public sealed class BadInputTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-bad-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string At(string name) => Path.Combine(dir, name);

    /// <summary>Runs vidiff with an existing out.mp4 present and checks the failure contract; returns the error line.</summary>
    string Refused(params string[] args)
    {
        File.WriteAllText(At("out.mp4"), "an earlier result");
        var before = CliFixture.Snapshot(dir);
        var modelBefore = CliFixture.Snapshot(fixture.Model);
        var (code, stdout, stderr) = CliFixture.Vidiff(args);
        Assert.True(code != 0, $"vidiff {string.Join(' ', args)} succeeded: {stdout}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got: {stderr}");
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal(before, CliFixture.Snapshot(dir));
        Assert.Equal(modelBefore, CliFixture.Snapshot(fixture.Model));
        return lines[0];
    }

    string[] Edit(string input, params string[] more) => ["edit", input, "--model", fixture.Model, "--steps", "1", .. more];

    [Fact]
    public void MissingInput() =>
        Assert.Contains("nothere.mp4 does not exist", Refused(Edit(At("nothere.mp4"), "-p", "x", "-o", At("new.mp4"))));

    [Fact]
    public void NotAVideo()
    {
        File.WriteAllText(At("notes.mp4"), "this is text, not a video");
        Assert.Contains("notes.mp4", Refused(Edit(At("notes.mp4"), "-p", "x", "-o", At("new.mp4"))));
    }

    [Fact]
    public void VideoWithZeroFrames()
    {
        CliFixture.Ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x32:rate=24", "-frames:v", "0", At("empty.mkv"));
        Assert.Contains("empty.mkv", Refused(Edit(At("empty.mkv"), "-p", "x", "-o", At("new.mp4"))));
    }

    [Fact]
    public void UnreadableCodec()
    {
        // A valid container whose video stream is garbage: the header survives, the coded frames do not.
        var bytes = File.ReadAllBytes(fixture.Clip);
        var broken = bytes.Take(bytes.Length / 3).Concat(Enumerable.Repeat((byte)0x5a, bytes.Length / 3)).ToArray();
        File.WriteAllBytes(At("broken.mp4"), broken);
        Assert.Contains("broken.mp4", Refused(Edit(At("broken.mp4"), "-p", "x", "-o", At("new.mp4"))));
    }

    [Fact]
    public void ResolutionBeyondTheLimit()
    {
        CliFixture.Ffmpeg("-f", "lavfi", "-i", "color=c=red:size=7712x16:rate=1", "-frames:v", "1", "-c:v", "rawvideo", At("wide.nut"));
        var line = Refused(Edit(At("wide.nut"), "-p", "x", "-o", At("new.mp4")));
        Assert.Contains("wide.nut", line);
        Assert.Contains("7680", line);
    }

    [Fact]
    public void SizeBeyondTheLimit() =>
        Assert.Contains("2048", Refused(Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--size", "4096x4096")));

    [Fact]
    public void FrameCountBeyondTheLimit()
    {
        CliFixture.Ffmpeg("-f", "lavfi", "-i", "color=c=red:size=16x16:rate=1000", "-frames:v", "20001", "-c:v", "libx264", "-preset", "ultrafast", At("long.mp4"));
        var line = Refused(Edit(At("long.mp4"), "-p", "x", "-o", At("new.mp4")));
        Assert.Contains("20001", line);
        Assert.Contains("20000", line);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("8")]
    public void StructureLevelOutsideRange(string ts) =>
        Assert.Contains($"--ts {ts} is outside [0, 7]", Refused(Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--ts", ts)));

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public void NonPositiveSteps(string steps) =>
        Assert.Contains($"--steps {steps} is outside [1, 1000]", Refused(["edit", fixture.Clip, "--model", fixture.Model, "-p", "x", "-o", At("new.mp4"), "--steps", steps]));

    [Theory]
    [InlineData("--guidance")]
    [InlineData("--temporal-guidance")]
    public void GuidanceNotANumber(string option) =>
        Assert.Contains($"{option} expects a number, got 'lots'", Refused(Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4"), option, "lots")));

    [Fact]
    public void OutputNotWritable() =>
        Assert.Contains("/proc is not writable", Refused(Edit(fixture.Clip, "-p", "x", "-o", "/proc/vidiff-out.mp4")));

    [Fact]
    public void OutputFolderThatCannotBeMade() =>
        Assert.Contains("/proc/no/such does not exist and cannot be made", Refused(Edit(fixture.Clip, "-p", "x", "-o", "/proc/no/such/out.mp4")));

    [Fact]
    public void OutputFolderUnderAFile() =>
        Assert.Contains("out.mp4 is a file", Refused(Edit(fixture.Clip, "-p", "x", "-o", At("out.mp4/edits/new.mp4"))));

    [Fact]
    public void RefusedRunLeavesNoNewOutputFolder()
    {
        Assert.Contains("nomodel does not exist", Refused(["edit", fixture.Clip, "--model", At("nomodel"), "-p", "x", "-o", At("new/sub/edit.mp4")]));
        Assert.False(Directory.Exists(At("new")));
    }

    [Fact]
    public void OutputExistsWithoutOverwrite() =>
        Assert.Contains("out.mp4 already exists; pass --overwrite", Refused(Edit(fixture.Clip, "-p", "x", "-o", At("out.mp4"))));

    [Fact]
    public void BothPromptAndImage()
    {
        var image = At("ref.png");
        CliFixture.Ffmpeg("-f", "lavfi", "-i", "color=c=blue:size=16x16", "-frames:v", "1", image);
        Assert.Contains("exactly one of -p/--prompt TEXT and --image FILE", Refused(Edit(fixture.Clip, "-p", "x", "--image", image, "-o", At("new.mp4"))));
    }

    [Fact]
    public void NeitherPromptNorImage() =>
        Assert.Contains("exactly one of -p/--prompt TEXT and --image FILE", Refused(Edit(fixture.Clip, "-o", At("new.mp4"))));

    [Fact]
    public void ModelMissingAComponent()
    {
        var model = CopyModel();
        File.Delete(Path.Combine(model, ModelFolder.PriorFile));
        Assert.Contains("is missing prior.safetensors", Refused(["edit", fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--model", model]));
    }

    [Fact]
    public void ModelWithMismatchedShapes()
    {
        var model = CopyModel();
        File.Copy(Path.Combine(model, ModelFolder.UnetFile), Path.Combine(model, ModelFolder.AutoencoderFile), overwrite: true);
        var line = Refused(["edit", fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--model", model]);
        Assert.Contains("autoencoder.safetensors does not match", line);
        Assert.Contains("missing keys", line);
    }

    string CopyModel()
    {
        var copy = At("model");
        foreach (var file in Directory.EnumerateFiles(fixture.Model, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(fixture.Model, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return copy;
    }
}
