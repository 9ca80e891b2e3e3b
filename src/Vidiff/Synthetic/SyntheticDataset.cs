namespace Vidiff.Synthetic;

/// <summary>
/// A data set written by <see cref="SyntheticWriter"/>, read back for training: the clips and stills its
/// dataset.json lists as complete (pixels load lazily, per clip).
/// </summary>
public sealed class SyntheticDataset
{
    public string Directory { get; }
    public DatasetInfo Info { get; }
    public IReadOnlyList<SyntheticClip> Clips { get; }
    public IReadOnlyList<SyntheticClip> Images { get; }

    SyntheticDataset(string dir, DatasetInfo info)
    {
        (Directory, Info) = (dir, info);
        if (info.Version != DatasetInfo.CurrentVersion)
            throw new InvalidDataException($"{Path.Combine(dir, SyntheticWriter.IndexFile)} has version {info.Version}; this build reads version {DatasetInfo.CurrentVersion}");
        Clips = info.Clips.Select(name => SyntheticClip.Open(Path.Combine(dir, SyntheticWriter.ClipsFolder, name))).ToArray();
        Images = info.Images.Select(name => SyntheticClip.Open(Path.Combine(dir, SyntheticWriter.ImagesFolder, name))).ToArray();
    }

    public static SyntheticDataset Open(string dir) => new(dir, SyntheticJson.Read<DatasetInfo>(Path.Combine(dir, SyntheticWriter.IndexFile)));
}
