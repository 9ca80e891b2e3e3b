namespace Vidiff.Checkpoints;

/// <summary>A weights file whose keys or shapes do not match the module it is loaded into.</summary>
public sealed class CheckpointMismatchException(string message) : Exception(message);
