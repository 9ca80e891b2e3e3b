using Vidiff.Media;
using Vidiff.Runtime;

namespace Vidiff.Cli.Commands;

/// <summary>
/// What an output may be, checked before any work (issue 16 §1): nothing the user had is replaced unless they said
/// --overwrite, and even then only what a run of Vidiff wrote: a file at the very path, or a folder holding nothing but
/// numbered frames. Never the input, a file the run reads, the current folder or a folder above any of them.
/// </summary>
static class OutputPaths
{
    /// <summary>
    /// Checks <paramref name="output"/> and returns its full path (a trailing '/' kept, since it names a folder).
    /// <paramref name="folder"/>: the output is a folder (of PNG frames); <paramref name="reads"/>: the paths the run
    /// reads (input, images, model), with what each is, which the output may neither be nor hold.
    /// </summary>
    public static string Check(string output, bool overwrite, bool folder, params (string Path, string What)[] reads)
    {
        var full = Path.GetFullPath(output);
        var path = Path.TrimEndingDirectorySeparator(full);
        var real = Posix.RealPath(path);
        foreach (var (read, what) in reads.Append((Directory.GetCurrentDirectory(), "the current folder")))
        {
            var readReal = Posix.RealPath(read);
            if (readReal == real)
                throw new IOException($"Output {output} is {what} ({read}); choose another output.");
            if (folder && readReal.StartsWith(real.TrimEnd('/') + "/", StringComparison.Ordinal))
                throw new IOException($"Output folder {output} holds {what} ({read}); choose another output.");
        }

        var kind = Posix.KindOf(path);
        if (kind != FileKind.Missing)
        {
            if (folder && kind != FileKind.Directory)
                throw new IOException($"Output {output} is {InputFile.Name(kind)}, but a path without an extension names a folder of PNG frames; give a file name with its extension (….mp4) or a new folder.");
            if (!folder && kind != FileKind.Regular)
                throw new IOException($"Output {output} is {InputFile.Name(kind)}; expected the path of a file to write.");
            if (!overwrite) throw new IOException($"Output {output} already exists; pass --overwrite to replace it.");
            if (folder && FrameFolder.Foreign(path) is { Count: > 0 } foreign) throw FrameFolder.ForeignFiles(output, foreign);
        }

        CheckWritable(path);
        return full;
    }

    /// <summary>
    /// Whether a new file can be made where the output goes (checked by creating and deleting a probe file, so a failure
    /// shows before minutes of work, not after). A missing folder, as `-o out/edit.mp4` on a fresh checkout gives, is
    /// probed at its nearest existing parent and made only by the writer, so a run refused by a later check leaves no
    /// empty folder behind.
    /// </summary>
    static void CheckWritable(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        string existing = directory, missing = "";
        while (!Directory.Exists(existing))
            (missing, existing) = (existing, Path.GetDirectoryName(existing)!);
        if (File.Exists(missing))
            throw new IOException($"Output folder {directory} cannot be made: {missing} is a file.");
        var probe = Path.Combine(existing, $".vidiff-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnauthorizedAccessException(existing == directory
                ? $"Output folder {directory} is not writable."
                : $"Output folder {directory} does not exist and cannot be made ({existing} is not writable).", e);
        }
    }
}
