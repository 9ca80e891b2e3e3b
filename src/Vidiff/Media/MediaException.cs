namespace Vidiff.Media;

/// <summary>A video or image the user gave cannot be read or written; the message names the file and what was expected.</summary>
public sealed class MediaException(string message) : Exception(message);
