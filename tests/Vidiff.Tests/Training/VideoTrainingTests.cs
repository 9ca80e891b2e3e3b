using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Pipelines;
using Vidiff.Pipelines.Training;
using Vidiff.Tests.Checkpoints;
using Vidiff.Tests.Cli;
using Vidiff.Tests.Pipelines;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Tests.Training;

/// <summary>
/// <c>vidiff train --stage unet --data VIDEOS --init MODELDIR --out MODELDIR2</c> (issue 18 §3) on short real clips: ffmpeg's
/// moving test sources and the README's sample, with a tiny image UNet just imported (temporal layers at identity).
/// </summary>
public sealed class VideoTrainingTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("vidiff-videotrain-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    string Model => Path.Combine(root, "model");

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>The tiny model folder with its UNet replaced by `vidiff import --from diffusers` of its spatial weights, as a
    /// user imports a public image model: temporal layers at identity, temporal_layers_trained false.</summary>
    void ImportTinyModel()
    {
        using (var model = EditFixtures.TinyModel()) model.Save(Model);
        var unet = Path.Combine(root, "pipeline", "unet");
        Directory.CreateDirectory(unet);
        File.WriteAllText(Path.Combine(unet, "config.json"), """
            {"_class_name": "UNet2DConditionModel", "block_out_channels": [16, 32], "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
             "layers_per_block": 1, "in_channels": 4, "out_channels": 4, "attention_head_dim": 2, "cross_attention_dim": 32, "norm_num_groups": 8, "sample_size": 8}
            """);
        using (var file = new SafetensorsFile(Path.Combine(Model, ModelFolder.UnetFile)))
        {
            using var scope = NewDisposeScope();
            var spatial = file.Keys.Where(k => !SpatioTemporalUnet.IsTemporal(k) && !k.StartsWith("content_proj.", StringComparison.Ordinal)).ToDictionary(k => k, k => file.Read(k));
            spatial["conv_in.weight"] = spatial["conv_in.weight"].narrow(1, 0, 4).contiguous(); // an image UNet: no structure channel
            Safetensors.Write(Path.Combine(unet, ImageModelImport.DiffusersWeights), spatial);
        }
        CliFixture.VidiffOk("import", "--from", "diffusers", Path.Combine(root, "pipeline"), "--into", Model);
        Assert.False(ModelFolder.ReadConfig(Model).TemporalLayersTrained);
    }

    /// <summary>1 s of a moving ffmpeg test source at 24 fps (24 frames: three clips of 8), another size and aspect than the model's.</summary>
    static void TestSource(string source, string size, string path) =>
        CliFixture.Ffmpeg("-f", "lavfi", "-i", $"{source}=size={size}:rate=24", "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", path);

    [Fact]
    public void AShortRunLowersTheHeldOutLossOfTheTemporalLayersAndKeepsTheSpatialWeights()
    {
        ImportTinyModel();
        string videos = Path.Combine(root, "videos"), output = Path.Combine(root, "trained");
        Directory.CreateDirectory(videos);
        TestSource("testsrc", "32x32", Path.Combine(videos, "bars.mp4"));
        TestSource("testsrc2", "48x32", Path.Combine(videos, "shapes.mp4"));
        File.Copy(Fixtures.Repository("samples", "ring-and-ball.mp4"), Path.Combine(videos, "ring-and-ball.mp4"));
        File.WriteAllText(Path.Combine(videos, "notes.txt"), "not a video");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var printed = CliFixture.VidiffOk("train", "--stage", "unet", "--data", videos, "--init", Model, "--freeze", "spatial", "--out", output,
            "--steps", "30", "--batch", "8", "--lr", "3e-3");
        Assert.Contains("skipping notes.txt: not a video ffmpeg can read (Invalid data found when processing input)", printed);

        // Rerunning continues from the checkpoint, without decoding the videos or running the frozen networks again.
        string run = Path.Combine(output, "training", "unet"), clipsCache = Path.Combine(run, VideoClips.CacheFile), inputsCache = Path.Combine(run, UnetStage.InputsFile);
        var cached = (File.GetLastWriteTimeUtc(clipsCache), File.GetLastWriteTimeUtc(inputsCache));
        var again = CliFixture.VidiffOk("train", "--stage", "unet", "--data", videos, "--init", Model, "--freeze", "spatial", "--out", output,
            "--steps", "32", "--batch", "8", "--lr", "3e-3");
        Assert.Contains("unet: step 32/32", again);
        Assert.Matches(@"held-out\s+loss\s+\d\.\d+\s+\(\d\.\d+\s+at\s+the\s+start\)", again); // the console wraps at 80 columns
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(again, "skipping notes.txt"));
        Assert.Equal(cached, (File.GetLastWriteTimeUtc(clipsCache), File.GetLastWriteTimeUtc(inputsCache)));
        Assert.Equal(32, File.ReadLines(Path.Combine(run, "loss.csv")).Count() - 1);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(root), e => Path.GetFileName(e).StartsWith(".trained", StringComparison.Ordinal)); // the temporary sibling
        Assert.True(ModelFolder.ReadConfig(output).TemporalLayersTrained);
        Assert.False(ModelFolder.ReadConfig(Model).TemporalLayersTrained);

        using (SafetensorsFile before = new(Path.Combine(Model, ModelFolder.UnetFile)), after = new(Path.Combine(output, ModelFolder.UnetFile)))
        {
            Assert.Equal(before.Keys.Order(), after.Keys.Order());
            foreach (var key in before.Keys)
            {
                using var b = before.Read(key);
                using var a = after.Read(key);
                Assert.True(SpatioTemporalUnet.IsTemporal(key) || (a.dtype == b.dtype && Same(a, b)), $"{key} changed");
            }
            Assert.Contains(before.Keys, k => SpatioTemporalUnet.IsTemporal(k) && !Same(before.Read(k), after.Read(k)));
        }

        // The held-out clips (the last of each video) on fixed batches and noise, before and after.
        var config = ModelFolder.ReadConfig(output);
        using var data = TrainingData.Load(clipsCache);
        Assert.Equal(9, data.Clips); // 3 videos × 3 clips of the model's 8-frame window
        Assert.Equal([2, 5, 8], data.HeldOutClips);
        var ctx = new StageContext(data, output, new TrainingOptions(1));
        using var inputs = UnetInputs.LoadOrCompute(ctx, config);
        double HeldOut(string folder)
        {
            using var unet = new SpatioTemporalUnet(config.Unet);
            ModuleWeights.Load(unet, Path.Combine(folder, ModelFolder.UnetFile));
            unet.eval();
            return UnetStage.FixedBatchLoss(unet, 8, data, inputs, config.Schedule.Create(), config.Parameterization,
                new UnetSettings(ImageShare: 0, MinFrames: 8, MaxFrames: 8), 16, heldOut: true);
        }
        double initial = HeldOut(Model), trained = HeldOut(output);
        Console.WriteLine($"held-out loss {initial:F4} → {trained:F4}; the run took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(trained < initial, $"held-out loss {initial:F4} → {trained:F4}");
    }

    /// <summary>
    /// A text-state model (the tiny SD-2-depth pipeline imported): motion learned content-free, on the empty prompt's
    /// states, with the spatial weights frozen; without --freeze spatial it is refused.
    /// </summary>
    [Fact]
    public void ATextStateModelTrainsItsTemporalLayersOnItsNullContent()
    {
        CliFixture.VidiffOk("import", "--from", "diffusers", Fixtures.Path("import", "sd2depth_pipeline"), "--into", Model);
        string videos = Path.Combine(root, "videos"), output = Path.Combine(root, "trained");
        Directory.CreateDirectory(videos);
        TestSource("testsrc2", "64x64", Path.Combine(videos, "shapes.mp4"));
        Assert.Contains("--freeze spatial", Refused(videos, output));
        CliFixture.VidiffOk("train", "--stage", "unet", "--data", videos, "--init", Model, "--freeze", "spatial", "--out", output, "--steps", "2", "--batch", "8");
        var config = ModelFolder.ReadConfig(output);
        Assert.Equal(ModelConfig.ContentKind.TextStates, config.Content);
        Assert.True(config.TemporalLayersTrained);
        using var model = ModelFolder.Load(output);
    }

    /// <summary>Runs the command, which must fail with exit code 1 and one line on stderr; returns that line.</summary>
    string Refused(string videos, string output)
    {
        var (code, stdout, stderr) = CliFixture.Vidiff("train", "--stage", "unet", "--data", videos, "--init", Model, "--out", output, "--steps", "1");
        Assert.True(code == 1, stdout + stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got: {stderr}");
        return lines[0];
    }

    [Fact]
    public void AnEmptyFolderIsRefusedAndNothingIsWritten()
    {
        using (var model = EditFixtures.TinyModel()) model.Save(Model);
        string videos = Path.Combine(root, "empty"), output = Path.Combine(root, "trained");
        Directory.CreateDirectory(videos);
        Assert.Equal($"error: --data {videos} holds no files; expected a folder of videos ffmpeg can read.", Refused(videos, output));
        Assert.Equal(["empty", "model"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void AFolderWithoutAReadableVideoNamesTheFileAndWritesNothing()
    {
        using (var model = EditFixtures.TinyModel()) model.Save(Model);
        string videos = Path.Combine(root, "videos"), output = Path.Combine(root, "trained");
        Directory.CreateDirectory(videos);
        File.WriteAllText(Path.Combine(videos, "notes.txt"), "not a video");
        Assert.StartsWith($"error: --data {videos} holds no video ffmpeg can read (notes.txt: not a video ffmpeg can read (Invalid data found when processing input)",
            Refused(videos, output));
        Assert.Equal(["model", "videos"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Order());
    }
}
