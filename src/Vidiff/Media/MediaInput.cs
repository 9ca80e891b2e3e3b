using System.Globalization;
using System.Text;

namespace Vidiff.Media;

/// <summary>
/// The ffmpeg arguments that open an input with a frame selection: a video file directly, a folder of numbered images
/// through a concat list (sorted by the number in the names, played at <see cref="VideoProbe.FolderFrameRate"/>).
/// </summary>
sealed class MediaInput : IDisposable
{
    readonly IDisposable? list;

    public IReadOnlyList<string> Arguments { get; }

    public MediaInput(VideoProbe probe, FrameSelection selection)
    {
        var input = probe.Path;
        var format = new List<string>();
        if (probe.IsFolder)
        {
            input = WriteConcatList(FrameFolder.List(probe.Path));
            list = Runtime.Shutdown.Temporary(input);
            format.AddRange(["-f", "concat", "-safe", "0"]);
        }
        Arguments = [.. selection.InputArguments(probe), .. format, "-i", input];
    }

    /// <summary>An ffconcat list playing <paramref name="files"/> in order at the folder frame rate; the caller deletes it.</summary>
    public static string WriteConcatList(IEnumerable<string> files)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vidiff-{Guid.NewGuid():N}.ffconcat");
        var text = new StringBuilder("ffconcat version 1.0\n");
        string duration = Ffmpeg.Decimal(1 / VideoProbe.FolderFrameRate);
        foreach (var file in files)
            text.Append("file '").Append(System.IO.Path.GetFullPath(file).Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\nduration ").Append(duration).Append('\n');
        File.WriteAllText(path, text.ToString());
        return path;
    }

    public void Dispose() => list?.Dispose();
}
