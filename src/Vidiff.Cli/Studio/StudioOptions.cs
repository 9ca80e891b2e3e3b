namespace Vidiff.Cli.Studio;

/// <summary>Which parts of Studio a process runs: the app and its API, the job workers, or both (the default).</summary>
public enum StudioRole
{
    All,
    Web,
    Worker,
}

/// <summary>
/// `vidiff serve`'s settings. <see cref="Database"/> null: one process with its job queue in SQLite under
/// <see cref="Data"/>; a PostgreSQL connection string: web and worker processes on any number of machines sharing the
/// database and the <see cref="Data"/> folder (docs/scale-out.md). <see cref="Device"/>: where this process's workers run
/// the networks (`--device`), so one GPU machine's workers and another CPU machine's can share a queue.
/// </summary>
public sealed record StudioOptions(
    string Data,
    string? Models = null,
    StudioRole Role = StudioRole.All,
    string Host = "localhost",
    int Port = 5000,
    string? Database = null,
    string? Token = null,
    int Jobs = 1,
    long MaxUploadBytes = 200L << 20,
    double MaxSeconds = 120,
    int MaxSide = 1920,
    string Device = "cpu")
{
    /// <summary>How long a job a worker took may go without that worker's heartbeat before another worker takes it
    /// (PostgreSQL; the heartbeat slides it while the worker lives). `vidiff serve --takeover-seconds`.</summary>
    public TimeSpan Invisibility { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The bounds of <see cref="Invisibility"/>: the queue's heartbeat runs once a second at best, so a shorter
    /// window could pass a live worker's job to another; a longer one than a day only delays a takeover.</summary>
    public static readonly TimeSpan MinTakeover = TimeSpan.FromSeconds(5), MaxTakeover = TimeSpan.FromDays(1);

    public string JobsFolder => Path.Combine(Data, "jobs");

    /// <summary>Whether the app listens on a loopback address only; any other address needs <see cref="Token"/>.</summary>
    public bool Loopback => Host is "localhost" or "127.0.0.1" or "::1" or "[::1]";
}
