using System.Runtime.InteropServices;

namespace Vidiff.Runtime;

/// <summary>
/// The three facts about paths .NET does not give on Linux: what kind of file a path is (a FIFO opened for reading
/// blocks until someone writes), its real location with every symlink resolved, and a rename that refuses to replace.
/// </summary>
public static partial class Posix
{
    /// <summary>The kind of file at <paramref name="path"/> (symlinks followed), or <see cref="FileKind.Missing"/>.</summary>
    public static unsafe FileKind KindOf(string path)
    {
        // struct statx has one layout on every architecture (unlike struct stat): stx_mode is the u16 at offset 28.
        var buffer = stackalloc byte[256];
        if (statx(AtCwd, path, 0, StatxType, buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno is ENOENT or ENOTDIR ? FileKind.Missing
                : errno == EACCES ? throw new UnauthorizedAccessException($"{path}: permission denied (a folder on the way cannot be searched)")
                : throw new IOException($"{path}: cannot be examined ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
        return (*(ushort*)(buffer + 28) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Other,
        };
    }

    /// <summary>The canonical absolute path (symlinks, '.' and '..' resolved) of an existing path; its nearest existing
    /// ancestor resolved and the rest appended for one that does not exist yet.</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        if (full.Length == 0) return "/";
        var resolved = realpath(full, IntPtr.Zero);
        if (resolved != IntPtr.Zero)
        {
            try
            {
                return Marshal.PtrToStringUTF8(resolved)!;
            }
            finally
            {
                free(resolved);
            }
        }
        var parent = Path.GetDirectoryName(full);
        return parent is null ? full : Path.Combine(RealPath(parent), Path.GetFileName(full));
    }

    /// <summary>
    /// Renames <paramref name="source"/> to <paramref name="target"/>; with <paramref name="replace"/> false the rename
    /// fails (IOException) if the target exists, checked by the kernel in the same step, so of two runs writing one path
    /// the second to finish sees the first's result instead of replacing it.
    /// </summary>
    public static void Rename(string source, string target, bool replace)
    {
        if (renameat2(AtCwd, source, AtCwd, target, replace ? 0u : RenameNoReplace) == 0) return;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) throw new IOException($"{target} already exists (written by another run meanwhile); pass --overwrite to replace it.");
        if (errno != EINVAL && errno != ENOSYS)
            throw new IOException($"{target}: cannot move the finished output into place ({Marshal.GetPInvokeErrorMessage(errno)})");
        // A file system without RENAME_NOREPLACE: check, then rename (a window of microseconds instead of none).
        if (!replace && (File.Exists(target) || Directory.Exists(target)))
            throw new IOException($"{target} already exists (written by another run meanwhile); pass --overwrite to replace it.");
        if (Directory.Exists(source)) Directory.Move(source, target);
        else File.Move(source, target, overwrite: true);
    }

    /// <summary>
    /// Ends the process at once with <paramref name="code"/>, running no exit handlers: Environment.Exit would run
    /// libtorch's static destructors while another thread is still inside a libtorch kernel, which crashes (SIGSEGV,
    /// exit 139) instead of giving the signal's exit code. Callers have already done their own clean-up.
    /// </summary>
    public static void ExitNow(int code)
    {
        if (OperatingSystem.IsLinux()) _exit(code);
        Environment.Exit(code);
    }

    const int AtCwd = -100, ENOENT = 2, EACCES = 13, EEXIST = 17, ENOTDIR = 20, EINVAL = 22, ENOSYS = 38;
    const uint StatxType = 0x1, RenameNoReplace = 1;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    [LibraryImport("libc")]
    private static partial void _exit(int status);
}
