using Vidiff.Checkpoints;

namespace Vidiff.Tests.Cli;

/// <summary>The built <c>vidiff train</c> stopped by Ctrl+C or by <c>kill</c> (a background job) must keep the progress made.</summary>
public sealed class TrainCommandTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("vidiff-train-cli-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public void StoppingAStageCheckpointsExportsAndExitsWithStoppedEarly(string signal)
    {
        string data = Path.Combine(root, "data"), model = Path.Combine(root, "model"), exe = Path.Combine(AppContext.BaseDirectory, "vidiff");
        var (code, stdout, stderr) = CliFixture.Vidiff("synth", "--out", data, "--clips", "2", "--frames", "8", "--seed", "3");
        Assert.True(code == 0, stdout + stderr);
        (code, stdout, stderr) = CliFixture.Run(exe, ["train", "--stage", "autoencoder", "--data", data, "--model", model, "--steps", "100000", "--batch", "1"],
            interruptAfter: "autoencoder step", signal: signal);
        Assert.True(code == 3, $"exit {code}: {stdout}{stderr}");
        Assert.True(File.Exists(Path.Combine(model, ModelFolder.AutoencoderFile)));
        Assert.True(Directory.Exists(Path.Combine(model, "training", "autoencoder", "checkpoint")));
    }

    [Theory]
    [InlineData("--max-ts", "8", "--max-ts 8 is not a structure level; expected 0..7")]
    [InlineData("--high-noise-share", "1.5", "--high-noise-share 1.5 is not a share; expected 0..1")]
    [InlineData("--mirrored-content-share", "-0.1", "--mirrored-content-share -0.1 is not a share; expected 0..1")]
    [InlineData("--device", "cuda:7", "--device cuda:7: no ")]
    public void RefusesUnetSettingsOutOfRange(string option, string value, string message)
    {
        string data = Path.Combine(root, "data"), model = Path.Combine(root, "model");
        var (code, stdout, stderr) = CliFixture.Vidiff("train", "--stage", "unet", "--data", data, "--model", model, option, value);
        Assert.True(code == 1, $"exit {code}: {stdout}{stderr}");
        Assert.Contains(message, stdout + stderr);
        Assert.False(Directory.Exists(model)); // refused before anything is made
    }
}
