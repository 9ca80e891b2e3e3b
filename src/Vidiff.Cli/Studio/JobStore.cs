using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vidiff.Runtime;

namespace Vidiff.Cli.Studio;

/// <summary>
/// Jobs as folders under DATA/jobs, one per job, named by a random id: job.json (what was asked), the input and
/// reference images under fixed names, status.json (what the worker last said), and the edit's files. A job is
/// assembled in a hidden staging folder and renamed into place whole, so a refused upload leaves nothing and every
/// process sharing the folder sees a job complete or not at all. Every file is written all-or-nothing.
/// </summary>
public sealed class JobStore(string folder)
{
    public const string SpecFile = "job.json", StatusFile = "status.json", CancelFile = "cancel";
    public const string InputPrefix = "input", ImagePrefix = "image", NegativeImagePrefix = "negative";
    public const string OutputFile = "output.mp4", PreviewFile = "output.preview.mp4", PictureFile = "output.preview.png", SettingsFile = "output.mp4.json";
    const string StagingPrefix = ".staging-";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>Twelve hex digits: the only shape of id a route accepts, so no client text ever becomes a path.</summary>
    public static bool IsId(string? id) => id is { Length: 12 } && id.All(char.IsAsciiHexDigitLower);

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public string PathOf(string id, string file = "")
    {
        if (!IsId(id)) throw new ArgumentException($"'{id}' is not a job id.");
        return Path.Combine(Folder, id, file);
    }

    public bool Exists(string id) => IsId(id) && File.Exists(PathOf(id, SpecFile));

    /// <summary>A hidden folder to assemble a job in; <see cref="Commit"/> makes it the job.</summary>
    public string Stage(string id)
    {
        var staging = Path.Combine(Folder, StagingPrefix + id);
        Directory.CreateDirectory(staging);
        return staging;
    }

    public void Commit(string staging, JobSpec spec)
    {
        WriteJson(Path.Combine(staging, SpecFile), spec);
        Directory.Move(staging, PathOf(spec.Id));
    }

    /// <summary>The job, or null if there is none of this id (or it is no id at all).</summary>
    public JobSpec? Spec(string id) => IsId(id) ? Read<JobSpec>(PathOf(id, SpecFile)) : null;

    public void Update(JobSpec spec) => WriteJson(PathOf(spec.Id, SpecFile), spec);

    public JobStatus Status(string id) => Read<JobStatus>(PathOf(id, StatusFile)) ?? JobStatus.Queued;

    /// <summary>Writes the status unless the job is gone (cancelled meanwhile): a status never recreates a folder.</summary>
    public void Write(string id, JobStatus status)
    {
        if (Directory.Exists(PathOf(id))) WriteJson(PathOf(id, StatusFile), status);
    }

    /// <summary>Every job, newest first.</summary>
    public IReadOnlyList<(JobSpec Spec, JobStatus Status)> List()
    {
        if (!Directory.Exists(Folder)) return [];
        return [.. Directory.EnumerateDirectories(Folder).Select(Path.GetFileName).Where(IsId)
            .Select(id => (Spec: Spec(id!), Id: id!)).Where(j => j.Spec is not null)
            .Select(j => (j.Spec!, Status(j.Id))).OrderByDescending(j => j.Item1.Created)];
    }

    public void RequestCancel(string id) => File.WriteAllBytes(PathOf(id, CancelFile), []);

    public bool CancelRequested(string id) => File.Exists(PathOf(id, CancelFile));

    /// <summary>Removes a job's folder and everything in it.</summary>
    public void Remove(string id)
    {
        var path = PathOf(id);
        if (!Directory.Exists(path)) return;
        // Renamed away first, so no reader sees a half-deleted job.
        var doomed = Path.Combine(Folder, StagingPrefix + id + "-" + NewId());
        Directory.Move(path, doomed);
        Directory.Delete(doomed, recursive: true);
    }

    /// <summary>Removes what a killed worker left in the job's folder: hidden temporaries of unfinished writes.</summary>
    public void RemoveLeftovers(string id)
    {
        foreach (var file in Directory.EnumerateFiles(PathOf(id), ".*")) File.Delete(file);
    }

    /// <summary>Removes staging folders older than <paramref name="age"/> (uploads a crashed process never finished).</summary>
    public void RemoveStaleStaging(TimeSpan age)
    {
        if (!Directory.Exists(Folder)) return;
        foreach (var dir in Directory.EnumerateDirectories(Folder, StagingPrefix + "*"))
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) > age)
                Directory.Delete(dir, recursive: true);
    }

    static T? Read<T>(string path) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), Json);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    static void WriteJson<T>(string path, T value) =>
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, value, Json));
}
