using System.Diagnostics;

namespace Vidiff.Runtime;

/// <summary>
/// A program vidiff runs (ffmpeg, ffprobe): ended with the run (<see cref="Shutdown"/>), and every wait on it is bounded
/// (<see cref="Within"/>): past the bound it is killed and the wait fails with one line saying what it was doing.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    readonly Process process;
    readonly string name, doing;
    Task<string> stderr = Task.FromResult("");
    volatile bool timedOut;

    /// <param name="doing">What the child does, to finish "ffmpeg took longer than 60 s while {doing}".</param>
    public ChildProcess(string program, IEnumerable<string> arguments, string doing, bool input = false, bool output = false)
    {
        name = Path.GetFileName(program);
        this.doing = doing;
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = input,
            RedirectStandardOutput = output,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        process = new Process { StartInfo = info };
        Shutdown.Adopt(this, () =>
        {
            process.Start();
            stderr = process.StandardError.ReadToEndAsync();
        });
    }

    public Stream Input => process.StandardInput.BaseStream;
    public Stream Output => process.StandardOutput.BaseStream;

    /// <summary>The last line the child wrote to stderr (after it exited): ffmpeg's own reason for failing.</summary>
    public string LastError => stderr.Result.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";

    /// <summary>
    /// Runs <paramref name="wait"/> (a read, a write, the exit) with a bound. Past it the child is killed, which ends
    /// the wait, and a <see cref="TimeoutException"/> says what it was doing; a signal that stopped the run meanwhile
    /// gives an <see cref="OperationCanceledException"/> instead of the broken pipe it caused.
    /// </summary>
    public T Within<T>(TimeSpan bound, Func<T> wait)
    {
        using var watchdog = new Timer(_ =>
        {
            timedOut = true;
            Kill();
        }, null, bound, Timeout.InfiniteTimeSpan);
        try
        {
            var result = wait();
            ThrowIfStopped(bound);
            return result;
        }
        catch (IOException)
        {
            ThrowIfStopped(bound);
            throw;
        }
    }

    public void Within(TimeSpan bound, Action wait) => Within(bound, () =>
    {
        wait();
        return 0;
    });

    /// <summary>Closes the child's input (if any) and waits for it to end, within <paramref name="bound"/>; its exit code.</summary>
    public int Finish(TimeSpan bound) => Within(bound, () =>
    {
        if (process.StartInfo.RedirectStandardInput) process.StandardInput.Close();
        process.WaitForExit();
        return process.ExitCode;
    });

    void ThrowIfStopped(TimeSpan bound)
    {
        Shutdown.Token.ThrowIfCancellationRequested();
        if (timedOut)
            throw new TimeoutException($"{name} took longer than {Describe(bound)} while {doing}; it was stopped (set VIDIFF_FFMPEG_TIMEOUT to allow more)");
    }

    static string Describe(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMinutes:0.#} min";

    /// <summary>Ends the child and anything it started; safe to call at any time, from any thread.</summary>
    public void Kill()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Not started, or already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        try
        {
            process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        Shutdown.Release(this);
        process.Dispose();
    }
}
