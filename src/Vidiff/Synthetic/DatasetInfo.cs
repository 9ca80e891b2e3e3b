namespace Vidiff.Synthetic;

/// <summary>
/// The top-level dataset.json: the settings the data set was made with and the complete clips and stills it holds
/// (folder names under clips/ and images/). <see cref="Version"/> names the file layout and the world the scenes are drawn
/// from: the same seed gives other scenes in another world, so data sets of two versions are never mixed or resumed.
/// Version 2: objects about three times the pixels of version 1's (larger, and a closer camera), so an object spans
/// several latent cells at 64×64 instead of one or two.
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
    public const int CurrentVersion = 2;
}
