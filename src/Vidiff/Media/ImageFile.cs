using System.Globalization;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Media;

/// <summary>
/// Single images through ffmpeg (PNG and anything ffmpeg reads): RGB as [3,H,W] in [-1,1], 16-bit grey for depth
/// as [H,W] in [0,1], 8-bit grey for masks as [H,W] of bytes. Writes are atomic.
/// </summary>
public static class ImageFile
{
    public static (int Width, int Height) Size(string path)
    {
        if (!File.Exists(path)) throw new MediaException($"{path}: no such file; expected an image");
        var text = System.Text.Encoding.ASCII.GetString(Ffmpeg.Probe(
            ["-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path], path)).Trim();
        var parts = text.Split(',');
        if (parts.Length < 2 || !int.TryParse(parts[0], out int w) || !int.TryParse(parts[1], out int h))
            throw new MediaException($"{path}: not an image ffmpeg can read");
        return (w, h);
    }

    public static Tensor ReadRgb(string path)
    {
        var (w, h) = Size(path);
        var bytes = Decode(path, "rgb24", w * h * 3);
        return Pixels.FromRgb24(bytes, 1, h, w)[0];
    }

    public static void WriteRgb(string path, Tensor image) =>
        Encode(path, "rgb24", image.shape[2], image.shape[1], Pixels.ToRgb24(image.unsqueeze(0)));

    public static Tensor ReadGray16(string path)
    {
        var (w, h) = Size(path);
        return Pixels.FromGray16(Decode(path, "gray16le", w * h * 2), [h, w]);
    }

    public static void WriteGray16(string path, Tensor image) => Encode(path, "gray16le", image.shape[1], image.shape[0], Pixels.ToGray16(image));

    public static Tensor ReadGray8(string path)
    {
        var (w, h) = Size(path);
        return tensor(Decode(path, "gray", w * h), [h, w]);
    }

    public static void WriteGray8(string path, Tensor image) => Encode(path, "gray", image.shape[1], image.shape[0], Pixels.ToGray8(image));

    static byte[] Decode(string path, string pixelFormat, int expected)
    {
        var bytes = Ffmpeg.Run(["-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pixelFormat, "-"], subject: path);
        if (bytes.Length != expected) throw new MediaException($"{path}: decoded {bytes.Length} bytes, expected {expected}");
        return bytes;
    }

    static void Encode(string path, string pixelFormat, long width, long height, byte[] pixels) =>
        AtomicFile.WriteVia(path, temp => Ffmpeg.Run(
            ["-f", "rawvideo", "-pix_fmt", pixelFormat, "-s", string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"), "-i", "-",
             "-frames:v", "1", "-y", temp], pixels, path));
}
