using Spectre.Console;
using Vidiff.Checkpoints;
using Vidiff.Media;

namespace Vidiff.Cli.Commands;

/// <summary>
/// The one place where failures become what a user sees: one line naming the file or value and what was expected,
/// no stack trace, and an exit code (1 bad input or failed run, 130 cancelled).
/// </summary>
static class CommandErrors
{
    public const int Failed = 1, Cancelled = 130;

    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled; no output was written");
            return Cancelled;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return Failed;
        }
    }

    /// <summary>A bad input or a problem of the environment, whose message says what to fix; anything else is a bug
    /// and keeps its stack trace.</summary>
    static bool IsUserError(Exception e) => e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException
        or CheckpointMismatchException or CheckpointFormatException or MediaException;

    /// <summary>Multi-line messages (a weights mismatch lists keys) joined into one line.</summary>
    static string OneLine(string message) =>
        string.Join("; ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Markup-safe text for Spectre tables.</summary>
    public static string Escape(object? value) => Markup.Escape(value?.ToString() ?? "");
}
