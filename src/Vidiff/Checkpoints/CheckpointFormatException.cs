namespace Vidiff.Checkpoints;

/// <summary>A weights file that is not a valid safetensors file, or one we refuse to open.</summary>
public sealed class CheckpointFormatException(string message) : Exception(message);
