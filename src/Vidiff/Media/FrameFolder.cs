using System.Globalization;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Media;

/// <summary>A folder of numbered PNGs (00000.png, …) written by one ffmpeg process; the folder appears complete or not at all.</summary>
public static class FrameFolder
{
    public static void Write(string dir, Tensor frames) => Write(dir, "rgb24", frames.shape[3], frames.shape[2], Pixels.ToRgb24(frames));

    /// <summary>[F,H,W] in [0,1] as 16-bit grey PNGs.</summary>
    public static void WriteGray16(string dir, Tensor frames) => Write(dir, "gray16le", frames.shape[2], frames.shape[1], Pixels.ToGray16(frames));

    /// <summary>[F,H,W] of values 0..255 as 8-bit grey PNGs.</summary>
    public static void WriteGray8(string dir, Tensor frames) => Write(dir, "gray", frames.shape[2], frames.shape[1], Pixels.ToGray8(frames));

    static void Write(string dir, string pixelFormat, long width, long height, byte[] pixels)
    {
        var target = Path.GetFullPath(dir);
        var temp = AtomicFile.TempBeside(target);
        using var cleanup = Shutdown.Temporary(temp);
        Directory.CreateDirectory(temp);
        Ffmpeg.Run(["-f", "rawvideo", "-pix_fmt", pixelFormat, "-s", string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"),
            "-i", "-", "-start_number", "0", "-y", Path.Combine(temp, "%05d.png")], $"writing the frames of {dir}", pixels.Length, pixels, dir);
        Place(temp, target, replace: true);
    }

    /// <summary>What an output folder holds besides numbered frames (00000.png, …), the only files a run of Vidiff
    /// writes there: entries relative to the folder, subfolders with a trailing '/'.</summary>
    public static IReadOnlyList<string> Foreign(string dir) =>
        Directory.EnumerateFileSystemEntries(dir).Where(e => !IsFrame(e))
            .Select(e => Path.GetFileName(e) + (Directory.Exists(e) ? "/" : "")).Order(StringComparer.Ordinal).ToList();

    static bool IsFrame(string path) =>
        File.Exists(path) && Path.GetExtension(path) == ".png" && Path.GetFileNameWithoutExtension(path) is { Length: > 0 } n && n.All(char.IsAsciiDigit);

    /// <summary>
    /// Moves a finished folder of frames from <paramref name="temp"/> to <paramref name="target"/>. Without
    /// <paramref name="replace"/> an existing target is never touched (the kernel refuses the rename). With it, the
    /// target is replaced only if it holds nothing but numbered frames; its frames are deleted one by one and the
    /// folder removed only once empty, so nothing else a user put there can be lost, even if it appears meanwhile.
    /// </summary>
    public static void Place(string temp, string target, bool replace)
    {
        if (!replace || !Directory.Exists(target))
        {
            Posix.Rename(temp, target, replace: false);
            return;
        }
        var foreign = Foreign(target);
        if (foreign.Count > 0) throw ForeignFiles(target, foreign);
        var old = AtomicFile.TempBeside(target, "old");
        Posix.Rename(target, old, replace: false);
        try
        {
            Posix.Rename(temp, target, replace: false);
        }
        catch (IOException)
        {
            Posix.Rename(old, target, replace: false);
            throw;
        }
        foreach (var frame in Directory.EnumerateFiles(old).Where(IsFrame).ToList()) File.Delete(frame);
        // Not recursive: anything that arrived since the check stays, in the .old folder beside the output.
        if (!Directory.EnumerateFileSystemEntries(old).Any()) Directory.Delete(old);
    }

    /// <summary>The refusal of --overwrite on a folder that holds what Vidiff did not write.</summary>
    public static IOException ForeignFiles(string dir, IReadOnlyList<string> foreign) =>
        new($"Output folder {dir} holds {(foreign.Count == 1 ? "an entry" : $"{foreign.Count} entries")} Vidiff did not write " +
            $"({string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? ", …" : "")}); --overwrite replaces only a folder of numbered frames from an earlier run. Choose another output, or move them.");

    /// <summary>All images of the folder as [F,3,H,W] in [-1,1], decoded by one ffmpeg process.</summary>
    public static Tensor Read(string dir)
    {
        var (bytes, f, h, w) = ReadRaw(dir, "rgb24", 3);
        return Pixels.FromRgb24(bytes, f, h, w);
    }

    /// <summary>16-bit grey images as [F,H,W] in [0,1].</summary>
    public static Tensor ReadGray16(string dir)
    {
        var (bytes, f, h, w) = ReadRaw(dir, "gray16le", 2);
        return Pixels.FromGray16(bytes, [f, h, w]);
    }

    /// <summary>8-bit grey images as [F,H,W] bytes.</summary>
    public static Tensor ReadGray8(string dir)
    {
        var (bytes, f, h, w) = ReadRaw(dir, "gray", 1);
        return tensor(bytes, [f, h, w]);
    }

    static (byte[] Bytes, int Frames, int Height, int Width) ReadRaw(string dir, string pixelFormat, int bytesPerPixel)
    {
        var files = List(dir);
        var (w, h) = ImageFile.Size(files[0]);
        var list = MediaInput.WriteConcatList(files);
        using var cleanup = Shutdown.Temporary(list);
        var bytes = Ffmpeg.Run(["-f", "concat", "-safe", "0", "-i", list, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pixelFormat, "-"],
            $"reading the frames of {dir}", (double)files.Count * w * h, subject: dir);
        if (bytes.Length != files.Count * w * h * bytesPerPixel)
            throw new MediaException($"{dir}: decoded {bytes.Length} bytes for {files.Count} images of {w}×{h}; expected images of one size");
        return (bytes, files.Count, h, w);
    }

    /// <summary>The numbered images of a folder, in the order of the number in their names.</summary>
    public static IReadOnlyList<string> List(string dir)
    {
        if (!Directory.Exists(dir)) throw new MediaException($"{dir}: no such folder; expected a folder of numbered images");
        var files = Directory.GetFiles(dir)
            .Where(f => new[] { ".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff" }.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(f => (File: f, Number: long.TryParse(new string(Path.GetFileNameWithoutExtension(f).Where(char.IsAsciiDigit).ToArray()), out var n) ? n : long.MaxValue))
            .OrderBy(p => p.Number).ThenBy(p => p.File, StringComparer.Ordinal).Select(p => p.File).ToList();
        return files.Count > 0 ? files : throw new MediaException($"{dir}: no images in the folder; expected numbered PNG or JPEG frames");
    }
}
