using Vidiff.Media;
using static TorchSharp.torch;

namespace Vidiff.Tests.Media;

public sealed class ImageFileTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-image-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void RgbRoundTripIsExactAtEightBits()
    {
        manual_seed(1);
        var image = randint(0, 256, [3, 5, 7]).to(ScalarType.Float32).div(127.5).sub(1);
        var path = Path.Combine(dir, "a.png");
        ImageFile.WriteRgb(path, image);
        var back = ImageFile.ReadRgb(path);
        Assert.Equal(new long[] { 3, 5, 7 }, back.shape);
        Assert.True(back.sub(image).abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void Gray16AndGray8RoundTripExactly()
    {
        manual_seed(2);
        var depth = randint(0, 65536, [6, 4]).to(ScalarType.Float64).div(65535).to(ScalarType.Float32);
        ImageFile.WriteGray16(Path.Combine(dir, "d.png"), depth);
        var back = ImageFile.ReadGray16(Path.Combine(dir, "d.png"));
        Assert.True(back.sub(depth).abs().max().item<float>() < 0.5f / 65535);

        var mask = randint(0, 4, [6, 4]).to(ScalarType.Byte);
        ImageFile.WriteGray8(Path.Combine(dir, "m.png"), mask);
        Assert.True(ImageFile.ReadGray8(Path.Combine(dir, "m.png")).eq(mask).all().item<bool>());
    }

    [Fact]
    public void FrameFolderWritesNumberedFramesInOrder()
    {
        var frames = linspace(-1, 1, 4).view(4, 1, 1, 1).expand(4, 3, 6, 8).contiguous();
        var folder = Path.Combine(dir, "frames");
        FrameFolder.Write(folder, frames);
        var files = FrameFolder.List(folder);
        Assert.Equal(["00000.png", "00001.png", "00002.png", "00003.png"], files.Select(Path.GetFileName));
        for (int i = 0; i < 4; i++)
            Assert.Equal(frames[i, 0, 0, 0].item<float>(), ImageFile.ReadRgb(files[i])[0, 0, 0].item<float>(), 2e-2);
        Assert.Single(Directory.GetFileSystemEntries(dir)); // no temp folder left behind
    }

    [Fact]
    public void MissingFilesAndEmptyFoldersNameThePath()
    {
        var missing = Path.Combine(dir, "nope.png");
        Assert.Contains(missing, Assert.Throws<MediaException>(() => ImageFile.ReadRgb(missing)).Message);
        Assert.Contains("no images", Assert.Throws<MediaException>(() => FrameFolder.List(dir)).Message);
    }
}
