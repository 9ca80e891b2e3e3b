using System.Text;
using Spectre.Console;
using Vidiff.Checkpoints;
using Vidiff.Media;
using Vidiff.Runtime;

namespace Vidiff.Cli.Commands;

/// <summary>
/// The one place where failures become what a user sees: one line naming the file or value and what was expected,
/// no stack trace, and an exit code (1 bad input or failed run, 128 + the signal's number when a signal stopped it:
/// Ctrl+C 130, SIGTERM 143).
/// </summary>
static class CommandErrors
{
    public const int Failed = 1;

    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (OperationCanceledException) when (Shutdown.Token.IsCancellationRequested)
        {
            Console.Error.WriteLine($"cancelled by {Shutdown.Signal}; no output was written");
            return Shutdown.ExitCode;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {Printable(OneLine(e.Message))}");
            return Failed;
        }
    }

    /// <summary>A bad input or a problem of the environment, whose message says what to fix; anything else is a bug
    /// and keeps its stack trace.</summary>
    internal static bool IsUserError(Exception e) => e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException
        or TimeoutException or CheckpointMismatchException or CheckpointFormatException or MediaException;

    /// <summary>Multi-line messages (a weights mismatch lists keys) joined into one line.</summary>
    internal static string OneLine(string message) =>
        string.Join("; ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Markup-safe, printable text for Spectre tables.</summary>
    public static string Escape(object? value) => Markup.Escape(Printable(value?.ToString() ?? ""));

    /// <summary>
    /// Text a user typed (a prompt, a file name) as it may be printed: control characters (ESC, BEL, …) and the
    /// direction overrides that reorder a terminal's line are shown escaped (\x1b, \u202e) instead of acting.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(IsControl)) return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (char c in text)
            escaped.Append(!IsControl(c) ? c.ToString() : c < 0x100 ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
        return escaped.ToString();
    }

    static bool IsControl(char c) => char.IsControl(c) || c is '\u061c' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');
}
