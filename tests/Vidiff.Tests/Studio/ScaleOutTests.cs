using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Vidiff.Cli.Studio;
using Vidiff.Tests.Cli;

namespace Vidiff.Tests.Studio;

/// <summary>
/// Studio scaled out as docs/scale-out.md runs it: `vidiff serve` processes (one web, two workers) sharing a real
/// PostgreSQL and a data folder (issue 20 §2, §3). A worker killed mid-job loses that job to another worker, every
/// process is restarted with jobs still queued, and every job still ends exactly once with a complete output.
/// </summary>
public sealed class ScaleOutTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    const int Jobs = 6;

    [PostgresFact]
    public async Task Six_jobs_on_two_workers_end_exactly_once_through_a_killed_worker_and_a_restart_of_every_process()
    {
        using var postgres = new TestPostgres();
        var data = Directory.CreateTempSubdirectory("vidiff-scale-").FullName;
        var port = StudioServer.FreePort();
        var processes = new List<Serve>();
        try
        {
            Serve Start(StudioRole role)
            {
                var serve = new Serve(role, port, data, fixture.Root, postgres.ConnectionString);
                processes.Add(serve);
                return serve;
            }
            // The states the queue gave a job, in order ("Enqueued Processing Succeeded").
            string History(string id) => (string)TestPostgres.Scalar(postgres.ConnectionString,
                $"SELECT string_agg(s.name, ' ' ORDER BY s.id) FROM hangfire.state s JOIN hangfire.job j ON j.id = s.jobid WHERE j.arguments::text LIKE '%{id}%'")!;

            var web = Start(StudioRole.Web);
            Serve[] workers = [Start(StudioRole.Worker), Start(StudioRole.Worker)];
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(1) };
            await Until(async () => await Ok(client, "/api/models"), "the web process answered", [web]);

            var ids = new List<string>();
            for (var i = 0; i < Jobs; i++)
            {
                using var form = new MultipartFormDataContent
                {
                    { new StringContent("a red ball"), "prompt" }, { new StringContent("model"), "model" },
                    { new StringContent("12"), "steps" }, { new StringContent(i.ToString(CultureInfo.InvariantCulture)), "seed" },
                    { new StringContent("false"), "bf16" }, { new ByteArrayContent(File.ReadAllBytes(fixture.Clip)), "video", "clip.mp4" },
                };
                var created = await client.PostAsync("/api/jobs", form);
                Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
                ids.Add(JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
            }

            // A worker killed while it denoises: nothing of it can run, not even its shutdown.
            var store = new JobStore(Path.Combine(data, "jobs"));
            string? victim = null;
            Serve? killed = null;
            await Until(() =>
            {
                foreach (var id in ids)
                    if (store.Status(id) is { State: JobState.Running, Phase: "denoise", Worker: { } worker })
                        (victim, killed) = (id, workers.FirstOrDefault(w => worker.EndsWith($":{w.Pid}", StringComparison.Ordinal)));
                return Task.FromResult(killed is not null);
            }, "a worker was denoising", [.. workers]);
            killed!.Kill("KILL");
            Assert.Equal(137, killed.Exit());
            var survivor = workers.Single(w => w != killed);
            await Until(() => Task.FromResult(store.Status(victim!) is { Attempt: 2, Worker: { } w } && w.EndsWith($":{survivor.Pid}", StringComparison.Ordinal)),
                "the other worker took the killed worker's job", [web, survivor]);

            // Then every other process stops as an operator stops it (SIGTERM), with jobs queued and one running.
            foreach (var p in processes.Where(p => p != killed))
            {
                p.Kill("TERM");
                Assert.True(p.Exit() == 0, $"{p.Role} after SIGTERM: {p.Output}");
            }
            Assert.Contains(ids, id => !store.Status(id).Finished); // the restart has work left to do

            // Every process restarted: the jobs were kept by the database and the folder.
            Serve[] restarted = [Start(StudioRole.Web), Start(StudioRole.Worker), Start(StudioRole.Worker)];
            await Until(async () => await Ok(client, "/api/models"), "the restarted web process answered", restarted);
            await Until(async () =>
            {
                var list = JsonDocument.Parse(await client.GetStringAsync("/api/jobs")).RootElement.EnumerateArray().ToList();
                Assert.DoesNotContain(list, j => j.GetProperty("status").GetProperty("state").GetString() == "failed");
                return list.Count(j => j.GetProperty("status").GetProperty("state").GetString() == "done") == Jobs;
            }, "every job was done", restarted, TimeSpan.FromMinutes(4), () => string.Join("\n", ids.Select(id => $"{id}: {JsonSerializer.Serialize(store.Status(id))}; {History(id)}")));

            // Exactly once: the queue moved each job to Succeeded once, and each folder holds one complete output and
            // nothing a killed run could have left.
            var (frames, _, _) = CliFixture.Probe(fixture.Clip);
            foreach (var id in ids)
            {
                Assert.Single(History(id).Split(' '), state => state == "Succeeded");
                Assert.Equal(frames, CliFixture.Probe(store.PathOf(id, JobStore.OutputFile)).Frames);
                var files = Directory.EnumerateFileSystemEntries(store.PathOf(id)).Select(f => Path.GetFileName(f)).ToList();
                Assert.DoesNotContain(files, f => f.StartsWith('.') || f.Contains(".tmp", StringComparison.Ordinal));
                Assert.Superset(new HashSet<string> { JobStore.SpecFile, JobStore.StatusFile, JobStore.OutputFile, JobStore.SettingsFile, JobStore.PreviewFile, JobStore.PictureFile }, new HashSet<string>(files));
            }
            Assert.Equal(ids.Order(StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(store.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("--role worker", "--role worker takes its jobs from a shared queue: give --database")]
    [InlineData("--takeover-seconds 30", "--takeover-seconds applies to the shared job queue: give --database as well.")]
    [InlineData("--database Host=127.0.0.1;Port=1;Username=nobody --takeover-seconds 2", "--takeover-seconds expects 5..86400, got 2.")]
    [InlineData("--role worker --database Host=127.0.0.1;Port=1;Username=nobody;Timeout=2", "--database: PostgreSQL refused or could not be reached:")]
    [InlineData("--host 0.0.0.0", "--token")]
    public void Serve_refuses_a_setup_that_cannot_work_with_one_line(string args, string expected)
    {
        var data = Directory.CreateTempSubdirectory("vidiff-serve-").FullName;
        try
        {
            var (code, output) = CliFixture.VidiffOutput(["serve", "--data", data, "--port", StudioServer.FreePort().ToString(CultureInfo.InvariantCulture), .. args.Split(' ')]);
            Assert.Equal(1, code);
            Assert.Contains(expected, output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    static async Task<bool> Ok(HttpClient client, string path)
    {
        try
        {
            return (await client.GetAsync(path)).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    /// <summary>Polls <paramref name="condition"/>; fails, with what the processes printed, if it has not held in time or one of them ended.</summary>
    static async Task Until(Func<Task<bool>> condition, string what, Serve[] watched, TimeSpan? bound = null, Func<string>? state = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watched.FirstOrDefault(p => p.Ended) is { } ended) Assert.Fail($"{ended.Role} ended before {what}: {ended.Output}");
            if (deadline.Elapsed > (bound ?? TimeSpan.FromMinutes(2)))
                Assert.Fail($"not {what} in {deadline.Elapsed.TotalSeconds:0} s:\n{string.Join("\n", watched.Select(p => $"{p.Role}: {p.Output}"))}\n{state?.Invoke()}");
            await Task.Delay(100);
        }
    }

    /// <summary>One `vidiff serve` process, started as docs/scale-out.md starts it.</summary>
    sealed class Serve : IDisposable
    {
        readonly Process process;
        readonly StringBuilder output = new();

        public StudioRole Role { get; }
        public int Pid => process.Id;
        public bool Ended => process.HasExited;

        public string Output
        {
            get
            {
                lock (output) return output.ToString();
            }
        }

        public Serve(StudioRole role, int port, string data, string models, string database)
        {
            Role = role;
            var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "vidiff")) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "serve", "--role", role.ToString().ToLowerInvariant(), "--port", port.ToString(CultureInfo.InvariantCulture),
                "--data", data, "--models", models, "--database", database, "--takeover-seconds", "5" })
                psi.ArgumentList.Add(a);
            psi.Environment["VIDIFF_THREADS"] = "1";
            process = new Process { StartInfo = psi };
            process.OutputDataReceived += Append;
            process.ErrorDataReceived += Append;
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        void Append(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
        }

        public void Kill(string signal)
        {
            using var kill = Process.Start("kill", [$"-{signal}", Pid.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        /// <summary>The exit code, within a minute (a graceful stop hands its running job back within 30 s).</summary>
        public int Exit()
        {
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), $"{Role} did not end: {Output}");
            process.WaitForExit(); // the output is all read
            return process.ExitCode;
        }

        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
    }
}
