using System.Diagnostics;
using TorchSharp;
using Vidiff.Synthetic;

namespace Vidiff.Tests.Synthetic;

public sealed class DatasetTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "vidiff-synth-" + Guid.NewGuid().ToString("N"));
    static readonly SynthSettings Tiny = new(Clips: 2, Seed: 3, Size: 32, MinFrames: 4, MaxFrames: 4, Images: 1);

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void WrittenClipsReadBackAsTheRenderedData()
    {
        var summary = SyntheticWriter.Write(dir, Tiny);
        Assert.Equal((3, 3, 0, 9L), (summary.Total, summary.Written, summary.Skipped, summary.FramesRendered));

        var data = SyntheticDataset.Open(dir);
        Assert.Equal(["000000", "000001"], data.Clips.Select(c => Path.GetFileName(c.Directory)));
        Assert.Single(data.Images);
        Assert.Equal((3, 32, 9L), (data.Info.Seed, data.Info.Size, data.Info.TotalFrames));

        var clip = data.Clips[1];
        var expected = SyntheticWriter.Render(Tiny, still: false, index: 1);
        Assert.Equal(expected.Info.Captions, clip.Captions);
        Assert.Equal(expected.Info.Scene.Objects, clip.Scene.Objects);
        Assert.Equal(expected.Info.Depth, clip.Info.Depth);

        using var frames = clip.LoadFrames();
        using var depth = clip.LoadDepth();
        using var masks = clip.LoadMasks();
        Assert.Equal([4L, 3, 32, 32], frames.shape);
        Assert.Equal([4L, 1, 32, 32], depth.shape);
        Assert.Equal([4L, 32, 32], masks.shape);
        Assert.Equal(torch.ScalarType.Int64, masks.dtype);

        var rgb = frames.data<float>().ToArray();
        var metres = depth.data<float>().ToArray();
        var ids = masks.data<long>().ToArray();
        double range = clip.Info.Depth.Max - clip.Info.Depth.Min;
        for (int f = 0, k = 0; f < 4; f++)
            for (int i = 0; i < 32 * 32; i++, k++)
            {
                Assert.Equal(expected.Frames[f].Mask[i], ids[k]);
                Assert.True(Math.Abs(expected.Frames[f].Depth[i] - metres[k]) <= range / 65535 * 0.5 + 1e-5, $"depth off by {expected.Frames[f].Depth[i] - metres[k]} m");
                for (int c = 0; c < 3; c++)
                    Assert.Equal(expected.Frames[f].Rgb[c * 32 * 32 + i] * 2 - 1, rgb[f * 3 * 32 * 32 + c * 32 * 32 + i], 1.01 / 255);
            }
    }

    [Fact]
    public void RerunSkipsCompleteClipsAndRedoesInterruptedOnes()
    {
        var reference = Path.Combine(dir, "reference");
        var data = Path.Combine(dir, "data");
        SyntheticWriter.Write(reference, Tiny with { Images = 0 });

        // A run interrupted while rendering clip 1: clip 0 complete, clip 1 a partial folder without clip.json.
        SyntheticWriter.Write(data, Tiny with { Clips = 1, Images = 0 });
        Directory.CreateDirectory(Path.Combine(data, "clips", "000001.partial", "frames"));
        Assert.Single(SyntheticDataset.Open(data).Clips);

        var summary = SyntheticWriter.Write(data, Tiny with { Clips = 3, Images = 0 });
        Assert.Equal((3, 2, 1), (summary.Total, summary.Written, summary.Skipped));
        Assert.False(Directory.Exists(Path.Combine(data, "clips", "000001.partial")));
        Assert.Equal(3, SyntheticDataset.Open(data).Clips.Count);
        foreach (var file in new[] { "clip.json", "frames/00003.png", "depth/00002.png", "masks/00001.png" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(reference, "clips", "000001", file)), File.ReadAllBytes(Path.Combine(data, "clips", "000001", file)));

        var e = Assert.Throws<InvalidOperationException>(() => SyntheticWriter.Write(data, Tiny with { Seed = 4 }));
        Assert.Contains("dataset.json", e.Message);

        // Another world's data set is not resumed: the same seed would add scenes of this world to it.
        var index = Path.Combine(data, "dataset.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace($"\"version\": {DatasetInfo.CurrentVersion}", "\"version\": 1"));
        e = Assert.Throws<InvalidOperationException>(() => SyntheticWriter.Write(data, Tiny with { Clips = 3, Images = 0 }));
        Assert.Contains("version 1", e.Message);
    }

    [Fact]
    public void SynthCommandWritesClipsAndResumes()
    {
        string Run()
        {
            var exe = Path.Combine(AppContext.BaseDirectory, "vidiff");
            var psi = new ProcessStartInfo(exe, ["synth", "--out", dir, "--clips", "2", "--seed", "5", "--size", "16", "--frames", "3"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"vidiff synth exited {p.ExitCode}: {output}");
            return output;
        }
        Run();
        var data = SyntheticDataset.Open(dir);
        Assert.Equal(2, data.Clips.Count);
        Assert.All(data.Clips, c => Assert.Equal(3, c.FrameCount));
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(dir, "clips", "000000", "clip.json"));
        var again = Run();
        Assert.Matches(@"already complete\s*│?\s*2", again);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(dir, "clips", "000000", "clip.json")));
    }
}
