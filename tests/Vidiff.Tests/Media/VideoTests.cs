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
        // The sources' duration sets the frame count (-frames:v would also cut the tone after a few packets).
        var seconds = (frames / (double)fps).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var args = new List<string> { "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}" };
        if (audio) args.AddRange(["-f", "lavfi", "-i", $"sine=frequency=440:duration={seconds}"]);
        args.AddRange(["-pix_fmt", "yuv420p"]);
        if (audio) args.AddRange(["-c:a", Path.GetExtension(name) == ".webm" ? "libopus" : "aac"]);
        args.AddRange(["-y", path]);
        Ffmpeg.Run(args, $"making {name}");
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
        var error = reread.sub(frames).abs().mean().item<float>();
        Assert.True(error < 0.08, $"the frames survive encoding (mean error {error})");
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
            // aac cannot go into webm as it is: re-encoded, and said so; same-container audio is copied silently.
            Assert.Equal(Path.GetExtension(inputName) != extension, writer.AudioNote?.Contains("re-encoded") ?? false);
        }
        var probe = VideoProbe.Run(output);
        Assert.True(probe.HasAudio);
        Assert.Equal(12, probe.FrameCount);
    }

    [Fact]
    public void AudioFollowsTheSelectedSpan()
    {
        var input = MakeClip("in.mp4", 48, 12, audio: true);
        var selection = new FrameSelection(Start: 1, Duration: 2);
        var probe = VideoProbe.Run(input);
        using var reader = new VideoReader(probe, selection, new FrameFitting(32, 32, FrameFit.Crop));
        var frames = cat(reader.ReadChunks(8).ToList(), 0);
        Assert.Equal(24, frames.shape[0]);
        var output = Path.Combine(dir, "span.mp4");
        using (var writer = new VideoWriter(output, 32, 32, 12, input, selection.Start, selection.Duration))
        {
            writer.Write(frames);
            writer.Complete();
        }
        var audioSeconds = double.Parse(System.Text.Encoding.ASCII.GetString(Ffmpeg.Probe(
            ["-select_streams", "a:0", "-show_entries", "stream=duration", "-of", "csv=p=0", output], "reading the audio duration")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(2, audioSeconds, 0.1); // aac packets are 1024 samples (~21 ms): the cut lands within a few
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
    public void CropKeepsTheCentrePadKeepsTheWholeFrame()
    {
        // Two 64×32 frames: red left half, blue right half, written losslessly as PNGs.
        var frames = full(new long[] { 2, 3, 32, 64 }, -1f);
        frames[.., 0, .., ..32] = tensor(1f);
        frames[.., 2, .., 32..] = tensor(1f);
        var folder = Path.Combine(dir, "bars");
        FrameFolder.Write(folder, frames);
        var red = tensor(new[] { 1f, -1, -1 });
        var blue = tensor(new[] { -1f, -1, 1 });
        bool Near(Tensor pixel, Tensor colour) => pixel.sub(colour).abs().max().item<float>() < 0.05f;

        // Crop to 32×32 keeps columns 16..47: still red on the left and blue on the right, no black.
        var crop = ReadAll(folder, FrameSelection.All, new FrameFitting(32, 32, FrameFit.Crop));
        Assert.Equal(new long[] { 2, 3, 32, 32 }, crop.shape);
        Assert.True(Near(crop[0, .., 0, 2], red) && Near(crop[0, .., 31, 13], red));
        Assert.True(Near(crop[1, .., 0, 18], blue) && Near(crop[1, .., 31, 29], blue));

        // Pad scales to 32×16 and centres it: 8 black rows above and below, red | blue between.
        var pad = ReadAll(folder, FrameSelection.All, new FrameFitting(32, 32, FrameFit.Pad));
        Assert.Equal(-1f, pad[.., .., ..8, ..].max().item<float>());
        Assert.Equal(-1f, pad[.., .., 24.., ..].max().item<float>());
        Assert.True(Near(pad[0, .., 9, 4], red) && Near(pad[0, .., 22, 12], red));
        Assert.True(Near(pad[0, .., 9, 20], blue) && Near(pad[0, .., 22, 28], blue));
    }

    [Fact]
    public void RotatedVideosAreReadUpright()
    {
        var input = MakeClip("in.mp4", 2, 2, width: 96, height: 64);
        var rotated = Path.Combine(dir, "rotated.mp4");
        Ffmpeg.Run(["-i", input, "-c", "copy", "-metadata:s:v", "rotate=90", "-y", rotated], "rotating");
        var probe = VideoProbe.Run(rotated);
        Assert.Equal((64, 96), (probe.Width, probe.Height));
        // Read at the upright size, the frames are not squeezed: fitting with crop or pad gives the same pixels.
        var crop = ReadAll(rotated, FrameSelection.All, new FrameFitting(64, 96, FrameFit.Crop));
        var pad = ReadAll(rotated, FrameSelection.All, new FrameFitting(64, 96, FrameFit.Pad));
        Assert.Equal(0f, crop.sub(pad).abs().max().item<float>());
        Assert.True(pad[.., .., ..4, ..].max().item<float>() > -0.9f); // no padding bands
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

    // 15 and 33 frames at the folder rate of 24 fps once made ffmpeg's constant-rate output repeat a frame.
    [Theory]
    [InlineData(12)]
    [InlineData(15)]
    [InlineData(33)]
    public void ImageFoldersAreReadInNumericOrderFrameForFrame(int n)
    {
        var folder = Path.Combine(dir, "frames");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < n; i++) ImageFile.WriteRgb(Path.Combine(folder, $"f{i}.png"), full(new long[] { 3, 8, 8 }, i / (n - 1f) * 2 - 1));
        var frames = ReadAll(folder, FrameSelection.All, new FrameFitting(8, 8, FrameFit.Crop));
        Assert.Equal(n, frames.shape[0]);
        var firstPixel = Enumerable.Range(0, n).Select(i => frames[i, 0, 4, 4].item<float>()).ToArray();
        Assert.Equal(firstPixel.Order().ToArray(), firstPixel); // f2 before f10
        Assert.Equal(firstPixel.Distinct().Count(), n);
        Assert.Equal(n, FrameFolder.Read(folder).shape[0]);
        Assert.Equal((n + 1) / 2, new FrameSelection(Every: 2).Count(VideoProbe.Run(folder)));
    }

    [Fact]
    public void BadInputsNameTheFile()
    {
        var missing = Path.Combine(dir, "missing.mp4");
        Assert.Contains($"{missing} does not exist", Assert.Throws<MediaException>(() => VideoProbe.Run(missing)).Message);
        var text = Path.Combine(dir, "notes.mp4");
        File.WriteAllText(text, "not a video");
        Assert.Contains("not a video", Assert.Throws<MediaException>(() => VideoProbe.Run(text)).Message);
        var empty = Path.Combine(dir, "empty");
        Directory.CreateDirectory(empty);
        Assert.Contains("no images", Assert.Throws<MediaException>(() => VideoProbe.Run(empty)).Message);
        var audioOnly = Path.Combine(dir, "tone.mp4");
        Ffmpeg.Run(["-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "aac", "-y", audioOnly], "making a tone");
        Assert.Contains("no video stream", Assert.Throws<MediaException>(() => VideoProbe.Run(audioOnly)).Message);

        var zeroFrames = Path.Combine(dir, "zero.mp4");
        Ffmpeg.Run(["-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10", "-frames:v", "0", "-y", zeroFrames], "making an empty video");
        var error = Assert.Throws<MediaException>(() => VideoProbe.Run(zeroFrames)).Message;
        Assert.Contains(zeroFrames, error);
        Assert.Contains("no frames", error);

        // A well-formed container whose H.264 payload is zeroed: the stream is there, the codec cannot decode it.
        var bytes = File.ReadAllBytes(MakeClip("good.mp4", 6, 6));
        int mdat = bytes.AsSpan().IndexOf("mdat"u8), moov = bytes.AsSpan().IndexOf("moov"u8);
        Assert.True(mdat > 0 && moov > mdat, "ffmpeg writes the media data before the index");
        bytes.AsSpan(mdat + 4, moov - 4 - (mdat + 4)).Clear();
        var undecodable = Path.Combine(dir, "zeroed.mp4");
        File.WriteAllBytes(undecodable, bytes);
        Assert.Contains("cannot decode", Assert.Throws<MediaException>(() => VideoProbe.Run(undecodable)).Message);
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
    public void AWriterMakesItsMissingFolder()
    {
        // The CLI's output checks probe a missing folder without making it; the writer makes it when output begins.
        var output = Path.Combine(dir, "new", "sub", "clip.mp4");
        using (var writer = new VideoWriter(output, 16, 16, 24))
        {
            writer.Write(zeros(3, 3, 16, 16));
            writer.Complete();
        }
        Assert.Equal(3, VideoProbe.Run(output).FrameCount);
    }

    [Fact]
    public void ReadingStreamsInBoundedChunks()
    {
        var input = MakeClip("stream.mp4", 300, 30, width: 64, height: 48);
        using var reader = new VideoReader(input, FrameSelection.All, new FrameFitting(16, 16, FrameFit.Crop));
        var sizes = reader.ReadChunks(16).Select(c => c.shape[0]).ToList();
        Assert.Equal([.. Enumerable.Repeat(16L, 18), 12L], sizes);
        // Stopping early ends ffmpeg; the same reader can stream again from the start.
        var first = reader.ReadChunks(16).First();
        var whole = reader.ReadChunks(300).Single();
        Assert.Equal(300, whole.shape[0]);
        Assert.True(whole[..16].eq(first).all().item<bool>());
    }
}
