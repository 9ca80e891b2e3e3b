namespace Vidiff.Media;

/// <summary>A video or image the user gave cannot be read or written; the message names the file and what was expected.
/// <see cref="Reason"/>: ffmpeg's own last words, where it failed.</summary>
public sealed class MediaException(string message, string? reason = null) : Exception(message)
{
    public string? Reason { get; } = reason;
}
