namespace Vidiff.Runtime;

/// <summary>What is at a path, as the file system says (<see cref="Posix.KindOf"/>).</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
    Other,
}
