using System.Diagnostics;
using Hangfire;
using Vidiff.Cli.Commands;
using Vidiff.Pipelines;
using Vidiff.Runtime;

namespace Vidiff.Cli.Studio;

/// <summary>
/// The job a worker runs: the edit of one job folder, as `vidiff edit` runs it, with its progress written to the
/// folder's status.json. Exactly once: a job whose status says done is not run again, and a run that a killed worker
/// left half-done is run anew by the worker the queue gives it to, its leftovers removed first and its outputs written
/// all-or-nothing. No automatic retries: a bad input fails the same way every time, and a worker that dies is not a
/// failure of the job (the queue hands the job on).
/// </summary>
public sealed class EditJob(JobStore store, ModelCatalog models, StudioOptions options)
{
    /// <summary>Status writes at most this often; phase changes and the end are written at once.</summary>
    static readonly TimeSpan StatusInterval = TimeSpan.FromMilliseconds(250);

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("edit {0}")]
    public void Run(string id, CancellationToken cancel)
    {
        if (store.Spec(id) is not { } spec) return; // cancelled before it started
        var before = store.Status(id);
        if (before.State is JobState.Done) return;
        store.RemoveLeftovers(id);
        var status = new JobStatus(JobState.Running, "loading", Worker: $"{Environment.MachineName}:{Environment.ProcessId}", Attempt: before.Attempt + 1);
        store.Write(id, status);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(cancel, Shutdown.Token);
        try
        {
            var model = models.Find(spec.Model) ?? throw new ArgumentException($"Model '{spec.Model}' is not in this worker's catalogue (--models).");
            using var run = EditRun.Prepare(spec.ToRequest(store.PathOf(id), model.Path) with { Device = options.Device });
            var written = Stopwatch.StartNew();
            string? phase = null;
            run.Execute(new SyncProgress<EditProgress>(p =>
            {
                var stage = p.Stage.ToString();
                if (stage == phase && written.Elapsed < StatusInterval) return;
                (phase, status) = (stage, status.With(p, run.Video.FrameCount));
                store.Write(id, status);
                written.Restart();
            }), token.Token);
            store.Write(id, status with { State = JobState.Done, Phase = null, EtaSeconds = null, Seconds = Math.Round(run.Clock.Elapsed.TotalSeconds, 1) });
        }
        catch (OperationCanceledException) when (store.CancelRequested(id))
        {
            store.Remove(id); // cancelled by its user: nothing of it stays
        }
        catch (OperationCanceledException)
        {
            // The worker is stopping: the queue hands the job to the next worker, which starts it again.
            store.Write(id, JobStatus.Queued with { Attempt = status.Attempt });
            // Hangfire hands a job back only if its own stop has begun when the job ends; otherwise it records the
            // job as failed. Our SIGTERM handler runs a moment before the host stops Hangfire, so wait for that stop.
            cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
            throw;
        }
        catch (Exception e) when (CommandErrors.IsUserError(e))
        {
            store.Write(id, status with { State = JobState.Failed, EtaSeconds = null, Error = CommandErrors.OneLine(e.Message) });
        }
        catch (Exception e)
        {
            // A bug: the page says so, the queue keeps the stack trace.
            store.Write(id, status with { State = JobState.Failed, EtaSeconds = null, Error = $"internal error ({e.GetType().Name}): {CommandErrors.OneLine(e.Message)}" });
            throw;
        }
    }
}
