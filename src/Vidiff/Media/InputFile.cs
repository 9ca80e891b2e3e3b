using Vidiff.Runtime;

namespace Vidiff.Media;

/// <summary>
/// A path the user gave to read from, checked before ffmpeg sees it: only a regular file (or, where allowed, a folder)
/// this process may read. A named pipe would hang ffmpeg until something writes to it; a device never ends.
/// </summary>
public static class InputFile
{
    /// <summary>Throws a one-line <see cref="MediaException"/> ("Image x.png is a folder; expected an image file (PNG, JPEG, …).")
    /// unless <paramref name="path"/> is a readable regular file, or a folder when <paramref name="folder"/> is set.</summary>
    public static void Check(string path, string role, string expected, bool folder = false)
    {
        var kind = Posix.KindOf(path);
        if (kind == FileKind.Directory && folder) return;
        if (kind != FileKind.Regular)
            throw new MediaException(kind == FileKind.Missing ? $"{role} {path} does not exist; expected {expected}." : $"{role} {path} is {Name(kind)}; expected {expected}.");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        }
        catch (UnauthorizedAccessException)
        {
            throw new MediaException($"{role} {path} cannot be read: permission denied.");
        }
    }

    /// <summary>"a named pipe (FIFO)", "a folder", …: what a path is, in words.</summary>
    public static string Name(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.Regular => "a file",
        FileKind.Directory => "a folder",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.Socket => "a socket",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        _ => "not a regular file",
    };
}
