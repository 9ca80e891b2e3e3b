namespace Vidiff.Cli.Studio;

/// <summary>Where a job is. Cancelled jobs are not a state: their folder is gone.</summary>
public enum JobState
{
    Queued,
    Running,
    Done,
    Failed,
}
