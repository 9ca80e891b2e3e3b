using Vidiff.Checkpoints;
using Vidiff.Runtime;
using Vidiff.Tests.Pipelines;

namespace Vidiff.Tests.Cli;

/// <summary>
/// Issue 3 §4 and issue 16 §3–§5: every bad input gets one line naming the file or value and what was expected, exit
/// code 1, and leaves every existing file untouched (the test folder holds an existing output the whole time); none
/// hangs (a run is bounded by <see cref="CliFixture.Interrupt"/>).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BadInputTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-bad-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string At(string name) => Path.Combine(dir, name);

    /// <summary>Runs vidiff with an existing out.mp4 present and checks the failure contract; returns the error line.</summary>
    string Refused(params string[] args) => Refused(args, "vidiff");

    /// <summary><see cref="Refused(string[])"/> for a run started through <paramref name="program"/> (setpriv).</summary>
    string Refused(string[] args, string program)
    {
        File.WriteAllText(At("out.mp4"), "an earlier result");
        var before = CliFixture.Snapshot(dir);
        var modelBefore = CliFixture.Snapshot(fixture.Model);
        var (code, stdout, stderr) = program == "vidiff" ? CliFixture.Vidiff(args) : CliFixture.Run(program, args);
        Assert.True(code == 1, $"vidiff {string.Join(' ', args)} exited {code}: {stdout}{stderr}");
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
        Assert.Contains($"{option} expects a finite number, got 'lots'", Refused(Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4"), option, "lots")));

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

    // Issue 18 §4: a device that is not there fails at once, naming the devices there are; nothing falls back to the CPU.

    [Theory]
    [InlineData("edit")]
    [InlineData("depth")]
    [InlineData("eval")]
    [InlineData("bench")]
    public void DeviceThatIsNotThere(string command)
    {
        string[] args = command switch
        {
            "edit" => Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4")),
            "depth" => ["depth", fixture.Clip, "--model", fixture.Model, "-o", At("new.mp4")],
            "eval" => [.. Eval(fixture.Model), "--out", At("eval.json")],
            _ => ["bench", "--quick"],
        };
        var line = Refused([.. args, "--device", "cuda:7"]);
        Assert.StartsWith("error: --device cuda:7: ", line);
        Assert.Contains($"TorchSharp sees {string.Join(", ", DeviceChoice.Names())}", line);
        Assert.False(Directory.Exists(At("heldout")), "refused before any rendering");
    }

    [Fact]
    public void CudaWithoutAGpu()
    {
        if (DeviceChoice.CudaDevices() > 0) return; // a GPU machine has cuda; DeviceThatIsNotThere covers it
        Assert.Equal("error: --device cuda: no CUDA device here; TorchSharp sees cpu (this build uses libtorch for the CPU; a CUDA build is " +
            "`dotnet build -p:TorchBackend=cuda`, README).", Refused(Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--device", "cuda")));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:one")]
    public void DeviceThatIsNoDevice(string device) =>
        Assert.Equal($"error: --device expects cpu, cuda or cuda:N, got '{device}'.", Refused(Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--device", device)));

    [Fact]
    public void Fp16OnTheCpu() =>
        Assert.Equal("error: --dtype fp16 runs on CUDA devices only; on the CPU give bf16 or fp32 (or auto).",
            Refused(Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--dtype", "fp16")));

    // Issue 17 §4: vidiff eval measures models of the procedural world; anything else is refused by what it lacks.

    string[] Eval(string model) => ["eval", "--model", model, "--clips", "1", "--guidance-clips", "1", "--frames", "2", "--data", At("heldout")];

    [Fact]
    public void EvalRefusesATokenizerWithoutTheWorldsWords()
    {
        // The fixture's tokenizer was trained on four captions, not on the world's.
        var line = Refused(Eval(fixture.Model));
        Assert.StartsWith($"error: {Path.Combine(fixture.Model, ModelFolder.TokenizerFolder)} lacks the procedural world's words ", line);
        Assert.Contains("cyan", line);
        Assert.False(Directory.Exists(At("heldout")), "refused before any rendering");
    }

    [Fact]
    public void EvalRefusesAModelWithoutADepthModel()
    {
        var model = CopyModel();
        File.Delete(Path.Combine(model, ModelFolder.DepthFile));
        Assert.Contains($"Model folder {model} is missing depth.safetensors", Refused(Eval(model)));
    }

    [Fact]
    public void EvalRefusesAUnetWithoutStructureChannels()
    {
        var model = CopyModel();
        var config = Path.Combine(model, ModelFolder.ConfigFile);
        var json = File.ReadAllText(config);
        Assert.Contains("\"structure_channels\": 1", json);
        File.WriteAllText(config, json.Replace("\"structure_channels\": 1", "\"structure_channels\": 0"));
        Assert.Contains("expected unet structure_channels 1 (depth), got 0", Refused(Eval(model)));
    }

    [Fact]
    public void EvalRefusesAHeldOutSetOfAnotherWorldVersion()
    {
        var model = At("world-model");
        Assert.Equal(0, CliFixture.Vidiff("model", "new", "--config", "tiny", "--out", model).Code);
        Directory.CreateDirectory(At("heldout"));
        var index = Path.Combine(At("heldout"), "dataset.json");
        File.WriteAllText(index, """{"version": 1, "seed": 2, "size": 16, "anti_aliasing": 2, "min_frames": 16, "max_frames": 16, "clips": [], "images": [], "total_frames": 0}""");
        Assert.Contains($"{index} holds version 1 of the procedural world", Refused(Eval(model)));
    }

    // Issue 18: cross-frame attention extends the spatial self-attention; a UNet without any is refused by name.

    [Fact]
    public void CrossFrameOnAUnetWithoutSpatialSelfAttention()
    {
        var model = At("flat-model");
        var config = ModelConfig.Tiny(EditFixtures.Tokenizer().VocabSize, EditFixtures.Tokenizer().EndId) with { TemporalLayersTrained = false };
        config = config with { Unet = config.Unet with { Transformers = [false, false], TransformerDepth = 0 } };
        using (var flat = ModelFolder.Create(config, EditFixtures.Tokenizer(), seed: 0)) flat.Save(model);
        Assert.Equal("error: --cross-frame anchor needs spatial self-attention, and the UNet of model tiny has none (transformer_depth 0); use --cross-frame off.",
            Refused(["edit", fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--model", model, "--steps", "1", "--cross-frame", "anchor"]));
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

    // Issue 16 §3: inputs that are not regular files would hang ffmpeg; options that would make it work forever.

    [Theory]
    [InlineData("edit")]
    [InlineData("image")]
    [InlineData("depth")]
    public void ANamedPipeIsRefusedByName(string use)
    {
        var fifo = At("pipe");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var line = Refused(use switch
        {
            "edit" => Edit(fifo, "-p", "x", "-o", At("new.mp4")),
            "image" => Edit(fixture.Clip, "--image", fifo, "-o", At("new.mp4")),
            _ => ["depth", fifo, "--model", fixture.Model, "-o", At("new.mp4")],
        });
        Assert.Contains($"{fifo} is a named pipe (FIFO); expected", line);
    }

    [Theory]
    [InlineData("--fps", "1e9", "--fps 1000000000 is outside (0, 240]")]
    [InlineData("--fps", "Infinity", "--fps expects a finite number, got 'Infinity'")]
    [InlineData("--start", "Infinity", "--start expects a finite number, got 'Infinity'")]
    [InlineData("--duration", "Infinity", "--duration expects a finite number, got 'Infinity'")]
    [InlineData("--duration", "NaN", "--duration expects a finite number, got 'NaN'")]
    [InlineData("--start", "1e300", "--start 1E+300 is outside [0, 10000000] seconds")]
    [InlineData("--guidance", "1e308", "--guidance 1E+308 is outside [0, 30]")]
    [InlineData("--guidance", "-2", "--guidance -2 is outside [0, 30]")]
    [InlineData("--temporal-guidance", "-1e300", "--temporal-guidance -1E+300 is outside [0, 10]")]
    [InlineData("--shared-noise", "1.5", "--shared-noise 1.5 is outside [0, 1]")]
    public void ValuesBeyondTheirRangeAreRefusedBeforeAnyWork(string option, string value, string expected) =>
        Assert.Contains(expected, Refused(Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4"), option, value)));

    [Fact]
    public void ATinyDurationReachesFfmpegAsPlainDecimal()
    {
        // 1e-9 s once reached ffmpeg as "1E-09", which it cannot read; in plain decimal it selects the first frame.
        var output = At("tiny.mp4");
        var (code, stdout, stderr) = CliFixture.Vidiff(Edit(fixture.Clip, "-p", "x", "-o", output, "--duration", "1e-9"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(1, CliFixture.Probe(output).Frames);
    }

    // Issue 16 §5: messages that say what is wrong.

    [Fact]
    public void AnUnreadableInputIsReportedAsPermissionDenied()
    {
        // Outside the test folder, whose snapshot reads every file.
        var locked = Path.Combine(fixture.Root, $"locked-{Guid.NewGuid():N}.mp4");
        File.Copy(fixture.Clip, locked);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        // root reads any file; setpriv drops the capabilities that let it (a user's run needs none of this).
        string[] args = Edit(locked, "-p", "x", "-o", At("new.mp4"));
        var line = Environment.UserName == "root"
            ? Refused(["--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search", Path.Combine(AppContext.BaseDirectory, "vidiff"), .. args], "setpriv")
            : Refused(args);
        Assert.Contains($"Input {locked} cannot be read: permission denied", line);
    }

    [Fact]
    public void ACorruptImageIsReportedAsNotDecodable()
    {
        var image = At("look.png");
        CliFixture.Ffmpeg("-f", "lavfi", "-i", "color=c=blue:size=64x64", "-frames:v", "1", image);
        var bytes = File.ReadAllBytes(image);
        File.WriteAllBytes(image, [.. bytes.Take(40), .. Enumerable.Repeat((byte)0x5a, bytes.Length - 40)]); // the header survives
        Assert.Contains($"Image {image} cannot be decoded; expected an image file", Refused(Edit(fixture.Clip, "--image", image, "-o", At("new.mp4"))));
    }

    [Fact]
    public void AFolderAsTheImageAndAFileAsTheModelSayWhatTheyAre()
    {
        Assert.Contains($"--image {dir} is a folder; expected an image file", Refused(Edit(fixture.Clip, "--image", dir, "-o", At("new.mp4"))));
        var file = At("model.bin");
        File.WriteAllText(file, "weights?");
        Assert.Contains($"Model folder {file} is a file; expected a folder holding vidiff.json",
            Refused(["edit", fixture.Clip, "-p", "x", "-o", At("new.mp4"), "--model", file]));
    }

    [Fact]
    public void ControlCharactersOfAPromptArePrintedEscaped()
    {
        var (code, stdout, stderr) = CliFixture.Vidiff(Edit(fixture.Clip, "-p", "a red\u001b[2J cube\u0007 \u202eebuc", "-o", At("new.mp4"), "--max-frames", "2"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("a red\\x1b[2J cube\\x07 \\u202eebuc", stdout);
        Assert.DoesNotContain(stdout, c => c is '\u001b' or '\u0007' or '\u202e');
    }

    [Fact]
    public void AMissingFfmpegIsNamedNotBlamedOnTheInput()
    {
        // ffprobe alone on the PATH: the probe of the streams works, counting the frames needs ffmpeg.
        var bin = Path.Combine(fixture.Root, $"bin-{Guid.NewGuid():N}");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "ffprobe"), global::Vidiff.Media.Ffmpeg.FfprobePath);
        var run = CliFixture.Interrupt(Path.Combine(AppContext.BaseDirectory, "vidiff"), Edit(fixture.Clip, "-p", "x", "-o", At("new.mp4")), when: null,
            environment: new Dictionary<string, string> { ["PATH"] = $"{bin}:{Path.GetDirectoryName(Environment.ProcessPath)}" });
        Assert.Equal(1, run.Code);
        Assert.Equal("error: ffmpeg not found; install it with: sudo apt-get install ffmpeg", run.Stderr.Trim());
    }
}
