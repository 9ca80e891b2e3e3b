using Vidiff.Media;
using static TorchSharp.torch;

namespace Vidiff.Tests.Media;

public sealed class VideoTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-video-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A clip from ffmpeg's test sources: testsrc2 video (and a sine tone when asked).</summary>
    string MakeClip(string name, int frames, int fps, int width = 96, int height = 64, bool audio = false)
    {
        var path = Path.Combine(dir, name);
        var args = new List<string> { "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate={fps}:duration={frames / (double)fps}" };
        if (audio) args.AddRange(["-f", "lavfi", "-i", $"sine=frequency=440:duration={frames / (double)fps}"]);
        args.AddRange(["-frames:v", frames.ToString(), "-pix_fmt", "yuv420p"]);
        if (audio) args.AddRange(["-c:a", Path.GetExtension(name) == ".webm" ? "libopus" : "aac"]);
        args.AddRange(["-y", path]);
        Ffmpeg.Run(args);
        return path;
    }

    static Tensor ReadAll(string path, FrameSelection selection, FrameFitting fitting)
    {
        using var reader = new VideoReader(path, selection, fitting);
        return cat(reader.ReadChunks(5).ToList(), 0);
    }

    [Theory]
    [InlineData(".mp4")]
    [InlineData(".webm")]
    [InlineData(".gif")]
    [InlineData("")]
    public void FrameCountAndRateSurviveReadAndWrite(string extension)
    {
        var input = MakeClip("in.mp4", 12, 12);
        var probe = VideoProbe.Run(input);
        Assert.Equal((96, 64, 12), (probe.Width, probe.Height, probe.FrameCount));
        var frames = ReadAll(input, FrameSelection.All, new FrameFitting(32, 32, FrameFit.Crop));
        Assert.Equal(new long[] { 12, 3, 32, 32 }, frames.shape);

        var output = Path.Combine(dir, "out" + extension);
        using (var writer = new VideoWriter(output, 32, 32, probe.FrameRate))
        {
            writer.Write(frames[..7]);
            writer.Write(frames[7..]);
            writer.Complete();
        }
        var back = VideoProbe.Run(output);
        Assert.Equal(12, back.FrameCount);
        // GIF stores delays in hundredths of a second: 1/12 s becomes 0.08 s.
        if (extension != "") Assert.Equal(12, back.FrameRate, extension == ".gif" ? 0.6 : 0.01);
        var reread = ReadAll(output, FrameSelection.All, new FrameFitting(32, 32, FrameFit.Crop));
        Assert.True(reread.sub(frames).abs().mean().item<float>() < 0.08, "the frames survive encoding");
    }

    [Theory]
    [InlineData("in.mp4", ".mp4")]
    [InlineData("in.webm", ".webm")]
    [InlineData("in.mp4", ".webm")]
    public void AudioIsCarriedToTheOutput(string inputName, string extension)
    {
        var input = MakeClip(inputName, 12, 12, audio: true);
        var frames = ReadAll(input, FrameSelection.All, new FrameFitting(32, 32, FrameFit.Crop));
        var output = Path.Combine(dir, "out" + extension);
        using (var writer = new VideoWriter(output, 32, 32, 12, audioFrom: input))
        {
            writer.Write(frames);
            writer.Complete();
        }
        var probe = VideoProbe.Run(output);
        Assert.True(probe.HasAudio);
        Assert.Equal(12, probe.FrameCount);
    }

    [Fact]
    public void CropFillsTheFramePadLeavesBars()
    {
        var input = MakeClip("wide.mp4", 2, 2, width: 128, height: 64);
        var crop = ReadAll(input, FrameSelection.All, new FrameFitting(32, 32, FrameFit.Crop));
        var pad = ReadAll(input, FrameSelection.All, new FrameFitting(32, 32, FrameFit.Pad));
        // Padding a 2:1 frame into a square leaves black (−1) bands above and below; cropping does not.
        Assert.True(pad[0, .., ..6, ..].max().item<float>() < -0.95);
        Assert.True(pad[0, .., ^6.., ..].max().item<float>() < -0.95);
        Assert.True(crop[0, .., ..6, ..].max().item<float>() > -0.5);
    }

    [Fact]
    public void SelectionGivesTheRightFrames()
    {
        var input = MakeClip("long.mp4", 48, 24);
        var probe = VideoProbe.Run(input);
        var fit = new FrameFitting(16, 16, FrameFit.Crop);
        var cases = new (FrameSelection Selection, int Expected)[]
        {
            (new(Start: 1), 24),
            (new(Duration: 0.5), 12),
            (new(Every: 4), 12),
            (new(Fps: 6), 12),
            (new(MaxFrames: 5), 5),
            (new(Start: 0.5, Duration: 1, Every: 2), 12),
        };
        foreach (var (selection, expected) in cases)
        {
            Assert.Equal(expected, selection.Count(probe));
            Assert.Equal(expected, ReadAll(input, selection, fit).shape[0]);
        }
    }

    [Fact]
    public void ImageFoldersAreReadInNumericOrder()
    {
        var folder = Path.Combine(dir, "frames");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 12; i++) ImageFile.WriteRgb(Path.Combine(folder, $"f{i}.png"), full(new long[] { 3, 8, 8 }, i / 11f * 2 - 1));
        var frames = ReadAll(folder, FrameSelection.All, new FrameFitting(8, 8, FrameFit.Crop));
        Assert.Equal(12, frames.shape[0]);
        var firstPixel = Enumerable.Range(0, 12).Select(i => frames[i, 0, 4, 4].item<float>()).ToArray();
        Assert.Equal(firstPixel.Order().ToArray(), firstPixel); // f2 before f10
        Assert.Equal(6, new FrameSelection(Every: 2).Count(VideoProbe.Run(folder)));
    }

    [Fact]
    public void BadInputsNameTheFile()
    {
        var missing = Path.Combine(dir, "missing.mp4");
        Assert.Contains("no such file", Assert.Throws<MediaException>(() => VideoProbe.Run(missing)).Message);
        var text = Path.Combine(dir, "notes.mp4");
        File.WriteAllText(text, "not a video");
        Assert.Contains("not a video", Assert.Throws<MediaException>(() => VideoProbe.Run(text)).Message);
        var empty = Path.Combine(dir, "empty");
        Directory.CreateDirectory(empty);
        Assert.Contains("no images", Assert.Throws<MediaException>(() => VideoProbe.Run(empty)).Message);
        var audioOnly = Path.Combine(dir, "tone.mp4");
        Ffmpeg.Run(["-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "aac", "-y", audioOnly]);
        Assert.Contains("no video stream", Assert.Throws<MediaException>(() => VideoProbe.Run(audioOnly)).Message);
    }

    [Fact]
    public void AnUnfinishedWriterLeavesNothing()
    {
        var output = Path.Combine(dir, "cancelled.mp4");
        using (var writer = new VideoWriter(output, 16, 16, 24))
            writer.Write(zeros(3, 3, 16, 16));
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void ReadingStreamsInBoundedChunks()
    {
        var input = MakeClip("stream.mp4", 40, 24);
        using var reader = new VideoReader(input, FrameSelection.All, new FrameFitting(16, 16, FrameFit.Crop));
        var sizes = reader.ReadChunks(6).Select(c => c.shape[0]).ToList();
        Assert.All(sizes, n => Assert.InRange(n, 1, 6));
        Assert.Equal(40, sizes.Sum());
    }
}
