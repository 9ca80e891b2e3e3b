namespace Vidiff.Runtime;

/// <summary>
/// Writes files users keep all-or-nothing: into a temp file beside the target, renamed into place
/// only when complete, so a crash, an exception or a signal never leaves a half-written or clobbered file. Without
/// <c>replace</c> an existing target is never replaced, even one another process made while this one wrote.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write, bool replace = true) => WriteVia(path, temp =>
    {
        using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
        write(stream);
        if (stream.CanWrite) stream.Flush(flushToDisk: true); // a writer may have closed it already
    }, replace);

    /// <summary>
    /// A hidden, unique name beside <paramref name="target"/> for what becomes it (<paramref name="kind"/> "tmp") or
    /// what it was ("old"): ".NAME.&lt;guid&gt;.tmp.EXT", so the extension still tells ffmpeg the format and the name
    /// tells a user what a leftover is.
    /// </summary>
    public static string TempBeside(string target, string kind = "tmp")
    {
        target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        return Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileNameWithoutExtension(target)}.{Guid.NewGuid():N}.{kind}{Path.GetExtension(target)}");
    }

    /// <summary>For writers that need a path (ffmpeg): the temp path keeps the target's extension.</summary>
    public static void WriteVia(string path, Action<string> writeTemp, bool replace = true)
    {
        var target = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        var temp = TempBeside(target);
        using var cleanup = Shutdown.Temporary(temp);
        writeTemp(temp);
        Posix.Rename(temp, target, replace);
    }
}
