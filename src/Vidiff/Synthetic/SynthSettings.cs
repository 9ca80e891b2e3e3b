namespace Vidiff.Synthetic;

/// <summary>
/// What a synthetic data set holds: Clips videos of MinFrames..MaxFrames frames and Images stills, Size² pixels,
/// AntiAliasing² samples per pixel. Seed fixes every scene, caption and pixel.
/// </summary>
public sealed record SynthSettings(int Clips, int Seed, int Size = 64, int MinFrames = 8, int MaxFrames = 16, int Images = 0, int AntiAliasing = 2)
{
    public void Validate()
    {
        if (Clips < 0 || Images < 0) throw new ArgumentException($"clip and image counts cannot be negative, got {Clips} and {Images}");
        if (Size is < 8 or > 1024) throw new ArgumentException($"frame size must be 8..1024 pixels, got {Size}");
        if (MinFrames < 2 || MaxFrames < MinFrames) throw new ArgumentException($"frames per clip must be a range a..b with 2 <= a <= b, got {MinFrames}..{MaxFrames}");
        if (AntiAliasing < 1) throw new ArgumentException($"anti-aliasing must be at least 1, got {AntiAliasing}");
    }
}
