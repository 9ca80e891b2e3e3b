using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Tests.Pipelines;

namespace Vidiff.Tests.Cli;

public sealed class EditCommandTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-edit-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string Out(string name = "out.mp4") => Path.Combine(dir, name);

    (int Code, string Stdout, string Stderr) Edit(params string[] args) =>
        CliFixture.Vidiff(["edit", .. args, "--model", fixture.Model, "--steps", "2"]);

    [Fact]
    public void EditKeepsFrameCountRateAndAudioAndWritesSettings()
    {
        var (code, stdout, stderr) = Edit(fixture.Clip, "-p", "a red cube", "-o", Out(), "--seed", "3");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal((24, 24.0, true), CliFixture.Probe(Out()));
        Assert.Contains(Out(), stdout);

        using var settings = JsonDocument.Parse(File.ReadAllText(Out() + ".json"));
        var s = settings.RootElement;
        Assert.Equal(3, s.GetProperty("seed").GetInt64());
        Assert.Equal(2, s.GetProperty("steps").GetInt32());
        Assert.Equal("a red cube", s.GetProperty("prompt").GetString());
        Assert.Equal(ModelFolder.Identity(fixture.Model), s.GetProperty("model_identity").GetString());
        Assert.Equal(24, s.GetProperty("frames").GetInt32());
        Assert.Equal(7.5, s.GetProperty("guidance").GetDouble());
        Assert.Equal("paper", s.GetProperty("guidance_form").GetString());
        Assert.Equal("off", s.GetProperty("cross_frame").GetString()); // the fixture's temporal layers count as trained
        Assert.Equal(0, s.GetProperty("shared_noise").GetDouble());
        Assert.Contains("--seed 3", s.GetProperty("command").GetString());
    }

    [Fact]
    public void CrossFrameAndSharedNoiseAreKnobsRecordedInTheSettings()
    {
        var (code, stdout, stderr) = Edit(fixture.Clip, "-p", "a cube", "-o", Out("anchored.mp4"), "--max-frames", "4", "--dtype", "fp32",
            "--cross-frame", "anchor", "--shared-noise", "0.25");
        Assert.True(code == 0, stdout + stderr);
        using var settings = JsonDocument.Parse(File.ReadAllText(Out("anchored.mp4") + ".json"));
        var s = settings.RootElement;
        Assert.Equal("anchor", s.GetProperty("cross_frame").GetString());
        Assert.Equal(0.25, s.GetProperty("shared_noise").GetDouble());
        Assert.True(s.GetProperty("temporal_layers_trained").GetBoolean());
        Assert.Contains("--cross-frame anchor --shared-noise 0.25", s.GetProperty("command").GetString());
        Assert.Contains("'sometimes' for option '--cross-frame'", CliFixture.VidiffOutput("edit", fixture.Clip, "-p", "a cube", "--cross-frame", "sometimes").Output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheGuidanceFormIsAKnobRecordedInTheSettings()
    {
        // (The tiny model's temporal layers start as the identity, so m = m_π and both forms give the same edit here;
        // GuidanceTests tell them apart.)
        var (code, stdout, stderr) = Edit(fixture.Clip, "-p", "a cube", "-o", Out("both.mp4"), "--max-frames", "4", "--dtype", "fp32", "--guidance-form", "both");
        Assert.True(code == 0, stdout + stderr);
        using var settings = JsonDocument.Parse(File.ReadAllText(Out("both.mp4") + ".json"));
        Assert.Equal("both", settings.RootElement.GetProperty("guidance_form").GetString());
        Assert.Contains("--guidance-form both", settings.RootElement.GetProperty("command").GetString());
        Assert.Contains("'half' for option '--guidance-form'", CliFixture.VidiffOutput("edit", fixture.Clip, "-p", "a cube", "--guidance-form", "half").Output, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingOutputFolderIsMade()
    {
        var output = Path.Combine(dir, "new", "folder", "out.mp4");
        var (code, stdout, stderr) = Edit(fixture.Clip, "-p", "a red cube", "-o", output, "--max-frames", "2");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(2, CliFixture.Probe(output).Frames);
    }

    [Fact]
    public void DeviceCpuIsTheDefaultFrameForFrameAndIsRecorded()
    {
        string named = Path.Combine(dir, "named/"), unnamed = Path.Combine(dir, "default/");
        foreach (var (output, device) in new[] { (named, new[] { "--device", "cpu" }), (unnamed, []) })
        {
            var (code, stdout, stderr) = Edit([fixture.Clip, "-p", "a red cube", "-o", output, "--max-frames", "4", "--dtype", "fp32", .. device]);
            Assert.True(code == 0, stdout + stderr);
        }
        var frames = Directory.GetFiles(named).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(4, frames.Count);
        Assert.All(frames, f => Assert.Equal(File.ReadAllBytes(Path.Combine(named, f!)), File.ReadAllBytes(Path.Combine(unnamed, f!))));
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.TrimEndingDirectorySeparator(unnamed) + ".json"));
        Assert.Equal("cpu", settings.RootElement.GetProperty("device").GetString());
        Assert.EndsWith("--device cpu --dtype fp32", settings.RootElement.GetProperty("command").GetString());
    }

    [Fact]
    public void Bf16RunsEveryNetworkInBfloat16AndSaysSo()
    {
        var (code, stdout, stderr) = Edit(fixture.Clip, "-p", "a red cube", "-o", Out("bf16.mp4"), "--max-frames", "6", "--bf16");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(6, CliFixture.Probe(Out("bf16.mp4")).Frames);
        using var settings = JsonDocument.Parse(File.ReadAllText(Out("bf16.mp4") + ".json"));
        Assert.Equal("bfloat16", settings.RootElement.GetProperty("dtype").GetString());
        Assert.EndsWith("--dtype bf16", settings.RootElement.GetProperty("command").GetString());
        Assert.Equal("asked", settings.RootElement.GetProperty("dtype_reason").GetString());
    }

    [Fact]
    public void TheDefaultDtypeIsChosenByMeasuringThisCpuAndSaysWhy()
    {
        var (code, stdout, stderr) = Edit(fixture.Clip, "-p", "a red cube", "-o", Out("auto.mp4"), "--max-frames", "2");
        Assert.True(code == 0, stdout + stderr);
        using var settings = JsonDocument.Parse(File.ReadAllText(Out("auto.mp4") + ".json"));
        var dtype = settings.RootElement.GetProperty("dtype").GetString();
        var reason = settings.RootElement.GetProperty("dtype_reason").GetString()!;
        // The measurement: bf16 when its matrix products run at least 1.5× as fast as fp32 (about 5× with AMX).
        var speedup = System.Text.RegularExpressions.Regex.Match(reason, @"run (?:only )?([0-9.]+)× as fast");
        Assert.True(speedup.Success || reason.Contains("oneDNN is off", StringComparison.Ordinal), reason);
        if (speedup.Success)
            Assert.Equal(double.Parse(speedup.Groups[1].Value, CultureInfo.InvariantCulture) >= 1.5 ? "bfloat16" : "float32", dtype);
        Assert.StartsWith("auto: ", reason);
        Assert.EndsWith($"--dtype {(dtype == "bfloat16" ? "bf16" : "fp32")}", settings.RootElement.GetProperty("command").GetString());
    }

    [Fact]
    public void Bf16AndAnotherDtypeAreRefusedTogether()
    {
        var (code, stdout, stderr) = Edit(fixture.Clip, "-p", "a red cube", "-o", Out("both.mp4"), "--bf16", "--dtype", "fp32");
        Assert.Equal(1, code);
        Assert.Contains("--bf16 asks for bf16 and --dtype fp32 for another", stderr);
        Assert.False(File.Exists(Out("both.mp4")), stdout);
    }

    [Fact]
    public void SameSeedGivesTheSameVideoAndAnotherSeedDoesNot()
    {
        Assert.Equal(0, Edit(fixture.Clip, "-p", "a cube", "-o", Out("a.mp4"), "--seed", "1", "--max-frames", "6").Code);
        Assert.Equal(0, Edit(fixture.Clip, "-p", "a cube", "-o", Out("b.mp4"), "--seed", "1", "--max-frames", "6").Code);
        Assert.Equal(0, Edit(fixture.Clip, "-p", "a cube", "-o", Out("c.mp4"), "--seed", "2", "--max-frames", "6").Code);
        string Frames(string f) => Convert.ToHexString(SHA256.HashData(DecodeRaw(f)));
        Assert.Equal(Frames(Out("a.mp4")), Frames(Out("b.mp4")));
        Assert.NotEqual(Frames(Out("a.mp4")), Frames(Out("c.mp4")));
    }

    [Fact]
    public void PreviewWritesAStripVideoAndImage()
    {
        var (code, stdout, stderr) = Edit(fixture.Clip, "-p", "a cube", "-o", Out(), "--preview", "--max-frames", "5");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(5, CliFixture.Probe(Out()).Frames);
        Assert.Equal(5, CliFixture.Probe(Out("out.preview.mp4")).Frames);
        var (w, h) = global::Vidiff.Media.ImageFile.Size(Out("out.preview.png"));
        Assert.Equal((64, 64), (w, h)); // four 16×16 columns (input, depth, structure, output), four frames as rows
    }

    [Fact]
    public void InterruptLeavesNoOutput()
    {
        var before = CliFixture.Snapshot(dir);
        // Ctrl+C once the settings summary is printed, i.e. while denoising.
        var (code, _, stderr) = CliFixture.Run(Path.Combine(AppContext.BaseDirectory, "vidiff"),
            ["edit", fixture.Clip, "-p", "a cube", "-o", Out(), "--model", fixture.Model, "--steps", "1000"], interruptAfter: "threads");
        Assert.Equal(130, code);
        Assert.Contains("cancelled", stderr);
        Assert.Equal(before, CliFixture.Snapshot(dir));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public void DepthWritesColourVideoAndRawPngs()
    {
        var (code, stdout, stderr) = CliFixture.Vidiff("depth", fixture.Clip, "-o", Out("depth.mp4"), "--raw", "--model", fixture.Model, "--max-frames", "6");
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(6, CliFixture.Probe(Out("depth.mp4")).Frames);
        var raw = Directory.GetFiles(Out("depth.mp4") + ".raw", "*.png").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(6, raw.Count);
        using var first = global::Vidiff.Media.ImageFile.ReadGray16(raw[0]);
        Assert.Equal(new long[] { 16, 16 }, first.shape);
    }

    [Fact]
    public void ModelNewWritesALoadableFolder()
    {
        var model = Path.Combine(dir, "m");
        var (code, stdout, stderr) = CliFixture.Vidiff("model", "new", "--config", "tiny", "--out", model, "--seed", "4");
        Assert.True(code == 0, stdout + stderr);
        using var loaded = ModelFolder.Load(model);
        Assert.Equal("tiny", loaded.Config.Name);
        var again = CliFixture.Vidiff("model", "new", "--config", "tiny", "--out", model);
        Assert.NotEqual(0, again.Code);
        Assert.Contains("already exists", again.Stderr);
    }

    static byte[] DecodeRaw(string video)
    {
        var raw = Path.ChangeExtension(video, ".rgb");
        CliFixture.Ffmpeg("-i", video, "-f", "rawvideo", "-pix_fmt", "rgb24", raw);
        return File.ReadAllBytes(raw);
    }
}
