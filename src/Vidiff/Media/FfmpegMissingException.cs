namespace Vidiff.Media;

/// <summary>ffmpeg or ffprobe is not installed: said as such, never as "this file is not a video".</summary>
public sealed class FfmpegMissingException(string message) : Exception(message);
