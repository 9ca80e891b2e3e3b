using System.Globalization;
using System.Text.Json;

namespace Vidiff.Media;

/// <summary>What ffprobe says of a video (or of a folder of numbered images, played at <see cref="FolderFrameRate"/>).</summary>
public sealed record VideoProbe(string Path, int Width, int Height, double FrameRate, int FrameCount, double Duration, string Codec, bool HasAudio, string? AudioCodec)
{
    public const double FolderFrameRate = 24;

    /// <summary>What an input must be, as a refusal says it.</summary>
    public const string Expected = "a video file (mp4, mov, webm, mkv, gif, …) or a folder of numbered images";

    public bool IsFolder => Directory.Exists(Path);

    public static VideoProbe Run(string path)
    {
        InputFile.Check(path, "Input", Expected, folder: true);
        if (Directory.Exists(path))
        {
            var files = FrameFolder.List(path);
            var (w, h) = ImageFile.Size(files[0]);
            return new VideoProbe(path, w, h, FolderFrameRate, files.Count, files.Count / FolderFrameRate, "image", false, null);
        }

        _ = Ffmpeg.FfprobePath;
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(Ffmpeg.Probe(["-show_streams", "-show_format", "-of", "json", path], $"reading the streams of {path}", path)).RootElement;
        }
        catch (MediaException e)
        {
            // ffprobe's reason starts with the path as given ("x.txt: Invalid data found when processing input").
            var reason = e.Reason is { Length: > 0 } r ? $" ({(r.StartsWith(path + ": ", StringComparison.Ordinal) ? r[(path.Length + 2)..] : r)})" : "";
            throw new MediaException($"{path}: not a video ffmpeg can read{reason}; expected a video file (mp4, mov, webm, mkv, gif, …)", e.Reason);
        }
        var streams = root.GetProperty("streams").EnumerateArray().ToList();
        if (streams.Count == 0) throw new MediaException($"{path}: holds no frames (no streams at all); expected a video with at least one frame");
        var video = streams.FirstOrDefault(s => s.GetProperty("codec_type").GetString() == "video");
        if (video.ValueKind != JsonValueKind.Object) throw new MediaException($"{path}: has no video stream; expected a video");
        var audio = streams.FirstOrDefault(s => s.GetProperty("codec_type").GetString() == "audio");
        string codec = Text(video, "codec_name") ?? "unknown";
        int width = int.Parse(Text(video, "width") ?? "0", CultureInfo.InvariantCulture);
        int height = int.Parse(Text(video, "height") ?? "0", CultureInfo.InvariantCulture);
        // ffmpeg turns frames upright when decoding (phone videos store a rotation): report the size frames arrive at.
        if (Math.Abs(Rotation(video)) % 180 == 90) (width, height) = (height, width);
        double fps = Rational(Text(video, "avg_frame_rate")) is > 0 and var a ? a : Rational(Text(video, "r_frame_rate"));
        if (!(fps > 0)) fps = 25;
        double duration = double.TryParse(Text(video, "duration") ?? (root.TryGetProperty("format", out var f) ? Text(f, "duration") : null),
            NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0;

        // Containers do not always store the frame count, and a stored one can lie: count decoded frames, which also
        // proves the codec decodes.
        int frames;
        _ = Ffmpeg.FfmpegPath;
        try
        {
            frames = CountFrames(["-i", path], "", path, Math.Max(duration, 1) * fps * width * height);
        }
        catch (MediaException)
        {
            throw new MediaException($"{path}: cannot decode its video (codec {codec}); expected a codec ffmpeg can decode");
        }
        if (frames == 0) throw new MediaException($"{path}: the video has no frames");
        return new VideoProbe(path, width, height, fps, frames, duration > 0 ? duration : frames / fps, codec,
            audio.ValueKind == JsonValueKind.Object, audio.ValueKind == JsonValueKind.Object ? Text(audio, "codec_name") : null);
    }

    /// <summary>Frames the input gives through a filter chain (decoded at 2×2 grey, so only decoding costs);
    /// <paramref name="pixels"/> is the decoding work, which bounds ffmpeg's time.</summary>
    internal static int CountFrames(IEnumerable<string> input, string filters, string subject, double pixels)
    {
        string chain = (filters.Length > 0 ? filters + "," : "") + "scale=2:2";
        var bytes = Ffmpeg.Run([.. input, "-vf", chain, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
            $"counting the frames of {subject}", pixels, subject: subject);
        return bytes.Length / 4;
    }

    static int Rotation(JsonElement video)
    {
        if (video.TryGetProperty("side_data_list", out var sides))
            foreach (var side in sides.EnumerateArray())
                if (side.TryGetProperty("rotation", out var r) && r.TryGetInt32(out int degrees)) return degrees;
        return video.TryGetProperty("tags", out var tags) && int.TryParse(Text(tags, "rotate"), CultureInfo.InvariantCulture, out int rotate) ? rotate : 0;
    }

    static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;

    static double Rational(string? text)
    {
        if (text is null) return 0;
        var parts = text.Split('/');
        return parts.Length == 2 && double.TryParse(parts[0], CultureInfo.InvariantCulture, out var n) && double.TryParse(parts[1], CultureInfo.InvariantCulture, out var m) && m != 0
            ? n / m
            : double.TryParse(text, CultureInfo.InvariantCulture, out var x) ? x : 0;
    }
}
