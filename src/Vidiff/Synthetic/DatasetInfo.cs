namespace Vidiff.Synthetic;

/// <summary>
/// The top-level dataset.json: the settings the data set was made with and the complete clips and stills it holds
/// (folder names under clips/ and images/).
/// </summary>
public sealed record DatasetInfo(
    int Version,
    int Seed,
    int Size,
    int AntiAliasing,
    int MinFrames,
    int MaxFrames,
    IReadOnlyList<string> Clips,
    IReadOnlyList<string> Images,
    long TotalFrames)
{
    public const int CurrentVersion = 1;
}
