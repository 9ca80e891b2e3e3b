namespace Vidiff.Cli.Commands;

/// <summary>Progress reported on the reporting thread, in order (System.Progress posts to the thread pool and may reorder).</summary>
sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
