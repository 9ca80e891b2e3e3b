using System.Globalization;

namespace Vidiff.Media;

/// <summary>The target size of frames and how to fit them; done in ffmpeg's filter graph.</summary>
public sealed record FrameFitting(int Width, int Height, FrameFit Fit)
{
    public string Filter => Fit == FrameFit.Crop
        ? string.Create(CultureInfo.InvariantCulture, $"scale={Width}:{Height}:force_original_aspect_ratio=increase:flags=lanczos,crop={Width}:{Height}")
        : string.Create(CultureInfo.InvariantCulture, $"scale={Width}:{Height}:force_original_aspect_ratio=decrease:flags=lanczos,pad={Width}:{Height}:(ow-iw)/2:(oh-ih)/2");
}
