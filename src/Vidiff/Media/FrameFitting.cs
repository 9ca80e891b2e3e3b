using System.Globalization;

namespace Vidiff.Media;

/// <summary>The target size of frames and how to fit them; done in ffmpeg's filter graph.</summary>
public sealed record FrameFitting(int Width, int Height, FrameFit Fit)
{
    /// <summary>
    /// One lanczos pass resizes and converts to rgb24, so the crop or pad that follows works on whole pixels and
    /// centres exactly, not on the 2×2 chroma grid of a yuv420p frame.
    /// </summary>
    public string Filter => string.Create(CultureInfo.InvariantCulture,
        $"scale={Width}:{Height}:force_original_aspect_ratio={(Fit == FrameFit.Crop ? "increase" : "decrease")}:flags=lanczos+accurate_rnd,format=rgb24,")
        + (Fit == FrameFit.Crop
            ? string.Create(CultureInfo.InvariantCulture, $"crop={Width}:{Height}")
            : string.Create(CultureInfo.InvariantCulture, $"pad={Width}:{Height}:(ow-iw)/2:(oh-ih)/2"));
}
