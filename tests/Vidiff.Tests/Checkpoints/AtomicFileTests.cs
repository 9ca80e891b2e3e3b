using Vidiff.Runtime;

namespace Vidiff.Tests.Checkpoints;

public class AtomicFileTests
{
    [Fact]
    public void ReplacesTargetWhenWriteCompletes()
    {
        using var dir = new Fixtures.TempDir();
        File.WriteAllText(dir["a.txt"], "old");
        AtomicFile.Write(dir["a.txt"], s => s.Write("new"u8));
        Assert.Equal("new", File.ReadAllText(dir["a.txt"]));
        Assert.Single(Directory.GetFiles(dir.Root));
    }

    [Fact]
    public void FailedWriteLeavesOldFileAndNoTemp()
    {
        using var dir = new Fixtures.TempDir();
        File.WriteAllText(dir["a.txt"], "old");
        var ex = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(dir["a.txt"], s =>
        {
            s.Write("partial"u8);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("boom", ex.Message);
        Assert.Equal("old", File.ReadAllText(dir["a.txt"]));
        Assert.Equal([dir["a.txt"]], Directory.GetFiles(dir.Root));
    }

    [Fact]
    public void TempPathSitsBesideTargetWithItsExtension()
    {
        using var dir = new Fixtures.TempDir();
        string? seen = null;
        AtomicFile.WriteVia(dir["sub/clip.mp4"], temp =>
        {
            seen = temp;
            File.WriteAllText(temp, "video");
        });
        Assert.Equal(dir["sub"], Path.GetDirectoryName(seen));
        Assert.EndsWith(".mp4", seen);
        Assert.False(File.Exists(seen));
        Assert.Equal("video", File.ReadAllText(dir["sub/clip.mp4"]));
    }
}
