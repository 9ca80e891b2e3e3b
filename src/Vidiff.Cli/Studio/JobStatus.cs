using System.Text.Json.Serialization;
using Vidiff.Pipelines;

namespace Vidiff.Cli.Studio;

/// <summary>A job's state and progress, as its worker last wrote it (status.json in the job's folder).</summary>
public sealed record JobStatus(JobState State, string? Phase = null, int Step = 0, int Steps = 0, int Window = 0, int Windows = 0,
    int Frames = 0, int TotalFrames = 0, double? EtaSeconds = null, double? Seconds = null, string? Error = null, string? Worker = null, int Attempt = 0)
{
    public static readonly JobStatus Queued = new(JobState.Queued);

    [JsonIgnore]
    public bool Finished => State is JobState.Done or JobState.Failed;

    /// <summary>The status for a progress report of the edit pipeline.</summary>
    public JobStatus With(EditProgress p, int totalFrames) => this with
    {
        State = JobState.Running,
        Phase = p.Stage.ToString().ToLowerInvariant(),
        Step = p.Step,
        Steps = p.Steps,
        Window = p.Window,
        Windows = p.Windows,
        Frames = p.Frames,
        TotalFrames = totalFrames,
        EtaSeconds = p.Remaining is { } r ? Math.Round(r.TotalSeconds, 1) : null,
        Seconds = Math.Round(p.Elapsed.TotalSeconds, 1),
    };
}
