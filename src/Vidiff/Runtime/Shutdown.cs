using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Vidiff.Runtime;

/// <summary>
/// How a run ends early, whenever the signal comes. SIGINT (Ctrl+C), SIGTERM, SIGHUP and SIGQUIT are caught from the
/// program's first line (<see cref="Install"/>). Every child process is ended at once, so no wait on ffmpeg outlasts
/// the signal. A command that stops cleanly by itself (it watches <see cref="Token"/> inside a <see cref="Cooperate"/>
/// scope) then unwinds and removes its temporary files; any other command, or a second signal, ends the run on the
/// spot after deleting every registered temporary. The same clean-up runs at exit and on a crash, so no process
/// outlives vidiff and nothing is left half-written, however it ends (SIGKILL excepted: it cannot be caught).
/// </summary>
public static class Shutdown
{
    static readonly CancellationTokenSource stopping = new();
    static readonly ConcurrentDictionary<ChildProcess, byte> children = new();
    static readonly ConcurrentDictionary<string, byte> temporaries = new();
    static readonly Lock gate = new();
    static readonly List<PosixSignalRegistration> registrations = [];
    static int cooperating;

    /// <summary>Cancelled when a signal asks the run to stop.</summary>
    public static CancellationToken Token => stopping.Token;

    /// <summary>The signal that stopped the run, as its name (SIGINT, SIGTERM, …), or null.</summary>
    public static string? Signal { get; private set; }

    /// <summary>The conventional exit code of a run a signal stopped: 128 + the signal's number (Ctrl+C: 130).</summary>
    public static int ExitCode { get; private set; } = 130;

    public static void Install()
    {
        lock (gate)
        {
            if (registrations.Count > 0) return;
            foreach (var (signal, name, number) in new[] { (PosixSignal.SIGINT, "SIGINT", 2), (PosixSignal.SIGTERM, "SIGTERM", 15), (PosixSignal.SIGHUP, "SIGHUP", 1), (PosixSignal.SIGQUIT, "SIGQUIT", 3) })
                registrations.Add(PosixSignalRegistration.Create(signal, context => OnSignal(context, name, number)));
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => EndEverything();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => EndEverything();
    }

    /// <summary>Marks the code inside the returned scope as stopping by itself once <see cref="Token"/> is cancelled,
    /// so that a first signal waits for it instead of ending the run at once.</summary>
    public static IDisposable Cooperate()
    {
        Interlocked.Increment(ref cooperating);
        return new Scope(() => Interlocked.Decrement(ref cooperating));
    }

    /// <summary>A temporary file or folder deleted when the scope ends or the run ends early; a path already renamed
    /// into place is simply gone by then.</summary>
    public static IDisposable Temporary(string path)
    {
        temporaries.TryAdd(path, 0);
        return new Scope(() =>
        {
            Delete(path);
            temporaries.TryRemove(path, out _);
        });
    }

    /// <summary>Registers a child to be ended with the run; refused once the run is stopping, so none starts after the
    /// signal's clean-up.</summary>
    internal static void Adopt(ChildProcess child, Action start)
    {
        lock (gate)
        {
            Token.ThrowIfCancellationRequested();
            start();
            children.TryAdd(child, 0);
        }
    }

    internal static void Release(ChildProcess child) => children.TryRemove(child, out _);

    static void OnSignal(PosixSignalContext context, string name, int number)
    {
        bool leaveToCommand;
        lock (gate)
        {
            bool first = !stopping.IsCancellationRequested;
            if (first)
            {
                Signal = name;
                ExitCode = 128 + number;
            }
            // Read before cancelling: once the token is cancelled the command may unwind and leave its scope at once,
            // and a count read after that would end the run a second time, with a second message.
            leaveToCommand = first && Volatile.Read(ref cooperating) > 0;
            stopping.Cancel();
            EndChildren();
        }
        context.Cancel = true;
        if (leaveToCommand) return;
        EndEverything();
        Console.Error.WriteLine($"stopped by {name}; no output was written");
        Console.Out.Flush();
        Posix.ExitNow(ExitCode);
    }

    static void EndEverything()
    {
        EndChildren();
        foreach (var path in temporaries.Keys) Delete(path);
    }

    static void EndChildren()
    {
        foreach (var child in children.Keys) child.Kill();
    }

    static void Delete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort at the end of a run: a temp that cannot go is named by its hidden .tmp name.
        }
    }

    sealed class Scope(Action end) : IDisposable
    {
        int ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref ended, 1) == 0) end();
        }
    }
}
