using Vidiff.Media;
using static TorchSharp.torch;

namespace Vidiff.Synthetic;

/// <summary>
/// One clip (or still) of a synthetic data set: its description and captions at once, its pixels when asked.
/// Frames are [F,3,H,W] in [-1,1], depth [F,1,H,W] in metres (camera z-depth), masks [F,H,W] int64 object ids.
/// </summary>
public sealed class SyntheticClip
{
    public string Directory { get; }
    public ClipInfo Info { get; }
    public IReadOnlyList<string> Captions => Info.Captions;
    public Scene Scene => Info.Scene;
    public int FrameCount => Info.Frames;

    SyntheticClip(string dir, ClipInfo info) => (Directory, Info) = (dir, info);

    public static SyntheticClip Open(string dir) => new(dir, SyntheticJson.Read<ClipInfo>(Path.Combine(dir, SyntheticWriter.ClipFile)));

    public Tensor LoadFrames() => Load(ClipFiles.Frames, FrameFolder.Read);

    public Tensor LoadDepth()
    {
        using var scope = NewDisposeScope();
        var (min, max) = (Info.Depth.Min, Info.Depth.Max);
        return Load(ClipFiles.Depth, FrameFolder.ReadGray16).to(ScalarType.Float64).mul(max - min).add(min)
            .to(ScalarType.Float32).unsqueeze(1).MoveToOuterDisposeScope();
    }

    public Tensor LoadMasks()
    {
        using var scope = NewDisposeScope();
        return Load(ClipFiles.Masks, FrameFolder.ReadGray8).to(ScalarType.Int64).MoveToOuterDisposeScope();
    }

    Tensor Load(string folder, Func<string, Tensor> read)
    {
        using var scope = NewDisposeScope();
        var files = FrameFolder.List(Path.Combine(Directory, folder));
        if (files.Count != Info.Frames)
            throw new InvalidDataException($"{Path.Combine(Directory, folder)} holds {files.Count} images; clip.json says {Info.Frames} frames");
        return read(Path.Combine(Directory, folder)).MoveToOuterDisposeScope();
    }
}
