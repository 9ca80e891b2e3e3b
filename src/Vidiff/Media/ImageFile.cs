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
    /// <summary>What an image must be, as a refusal says it.</summary>
    public const string Expected = "an image file (PNG, JPEG, WebP, …)";

    public static (int Width, int Height) Size(string path)
    {
        InputFile.Check(path, "Image", Expected);
        _ = Ffmpeg.FfprobePath;
        string text;
        try
        {
            text = System.Text.Encoding.ASCII.GetString(Ffmpeg.Probe(
                ["-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path], $"reading the size of {path}", path)).Trim();
        }
        catch (MediaException)
        {
            throw Undecodable(path);
        }
        var parts = text.Split(',');
        if (parts.Length < 2 || !int.TryParse(parts[0], out int w) || !int.TryParse(parts[1], out int h) || w < 1 || h < 1)
            throw Undecodable(path);
        return (w, h);
    }

    /// <summary>ffmpeg's own words for a corrupt image ("Error marking filters as finished") say nothing to a user.</summary>
    static MediaException Undecodable(string path) => new($"Image {path} cannot be decoded; expected {Expected} ffmpeg can read.");

    public static Tensor ReadRgb(string path)
    {
        var (w, h) = Size(path);
        var bytes = Decode(path, "rgb24", w * h * 3);
        return Pixels.FromRgb24(bytes, 1, h, w)[0];
    }

    /// <summary>Writes [3,H,W] in [-1,1]; without <paramref name="replace"/> an existing file is never replaced.</summary>
    public static void WriteRgb(string path, Tensor image, bool replace = true) =>
        Encode(path, "rgb24", image.shape[2], image.shape[1], Pixels.ToRgb24(image.unsqueeze(0)), replace);

    public static Tensor ReadGray16(string path)
    {
        var (w, h) = Size(path);
        return Pixels.FromGray16(Decode(path, "gray16le", w * h * 2), [h, w]);
    }

    public static void WriteGray16(string path, Tensor image) => Encode(path, "gray16le", image.shape[1], image.shape[0], Pixels.ToGray16(image), true);

    public static Tensor ReadGray8(string path)
    {
        var (w, h) = Size(path);
        return tensor(Decode(path, "gray", w * h), [h, w]);
    }

    public static void WriteGray8(string path, Tensor image) => Encode(path, "gray", image.shape[1], image.shape[0], Pixels.ToGray8(image), true);

    static byte[] Decode(string path, string pixelFormat, int expected)
    {
        _ = Ffmpeg.FfmpegPath;
        byte[] bytes;
        try
        {
            bytes = Ffmpeg.Run(["-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pixelFormat, "-"], $"decoding {path}", expected, subject: path);
        }
        catch (MediaException)
        {
            throw Undecodable(path);
        }
        if (bytes.Length != expected) throw Undecodable(path);
        return bytes;
    }

    static void Encode(string path, string pixelFormat, long width, long height, byte[] pixels, bool replace) =>
        AtomicFile.WriteVia(path, temp => Ffmpeg.Run(
            ["-f", "rawvideo", "-pix_fmt", pixelFormat, "-s", string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"), "-i", "-",
             "-frames:v", "1", "-y", temp], $"writing {path}", width * height, pixels, path), replace);
}
