using Vidiff.Media;
using static TorchSharp.torch;

namespace Vidiff.Synthetic;

/// <summary>The files of one clip folder: frames/, depth/ and masks/ (numbered PNGs) and clip.json.</summary>
static class ClipFiles
{
    public const string Frames = "frames", Depth = "depth", Masks = "masks";

    /// <summary>clip.json goes last: a folder with it is complete.</summary>
    public static void Write(string dir, RenderedClip clip)
    {
        using var scope = NewDisposeScope();
        Directory.CreateDirectory(dir);
        int n = clip.Frames.Count, size = clip.Info.Size;
        var rgb = clip.Frames.SelectMany(f => f.Rgb).ToArray();
        FrameFolder.Write(Path.Combine(dir, Frames), tensor(rgb, [n, 3, size, size]).mul(2).sub(1));

        // Normalised in double so the 16-bit value is the exact rounding of (d − min) / (max − min).
        var scale = clip.Info.Depth;
        var depth = clip.Frames.SelectMany(f => f.Depth).Select(d => (d - scale.Min) / (scale.Max - scale.Min)).ToArray();
        FrameFolder.WriteGray16(Path.Combine(dir, Depth), tensor(depth, [n, size, size]));

        FrameFolder.WriteGray8(Path.Combine(dir, Masks), tensor(clip.Frames.SelectMany(f => f.Mask).ToArray(), [n, size, size]));
        SyntheticJson.Write(Path.Combine(dir, SyntheticWriter.ClipFile), clip.Info);
    }
}
