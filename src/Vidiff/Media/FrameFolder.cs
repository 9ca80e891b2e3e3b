using System.Globalization;
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
        var temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            Ffmpeg.Run(["-f", "rawvideo", "-pix_fmt", pixelFormat, "-s", string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"),
                "-i", "-", "-start_number", "0", "-y", Path.Combine(temp, "%05d.png")], pixels, dir);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(temp, target);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

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
        try
        {
            var bytes = Ffmpeg.Run(["-f", "concat", "-safe", "0", "-i", list, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pixelFormat, "-"], subject: dir);
            if (bytes.Length != files.Count * w * h * bytesPerPixel)
                throw new MediaException($"{dir}: decoded {bytes.Length} bytes for {files.Count} images of {w}×{h}; expected images of one size");
            return (bytes, files.Count, h, w);
        }
        finally
        {
            File.Delete(list);
        }
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
