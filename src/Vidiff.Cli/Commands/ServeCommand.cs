using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Vidiff.Cli.Studio;
using Vidiff.Runtime;

namespace Vidiff.Cli.Commands;

/// <summary>`vidiff serve`: Vidiff Studio, the web app and its job engine (docs/api.md, docs/scale-out.md).</summary>
static class ServeCommand
{
    public static Command Create()
    {
        var port = CommandOptions.Number<int>("--port", "Port to listen on (default 5000).");
        var host = new Option<string>("--host") { Description = "Address to listen on; anything but localhost needs --token.", DefaultValueFactory = _ => "localhost" };
        var data = new Option<string?>("--data") { Description = "Folder for jobs, uploads, outputs and the job queue (default ~/.local/share/vidiff/studio); shared by every process of one Studio." };
        var models = new Option<string?>("--models") { Description = "Folder of model folders to offer (each with its vidiff.json); the bundled model is offered as 'mini'." };
        var role = new Option<StudioRole>("--role") { Description = "all: app and worker in one process; web: the app only; worker: runs jobs only (needs --database).", DefaultValueFactory = _ => StudioRole.All };
        var database = new Option<string?>("--database") { Description = "PostgreSQL connection string of the shared job queue (scale-out); default: SQLite under --data, one process." };
        var token = new Option<string?>("--token") { Description = "Secret every request must carry (Authorization: Bearer, or open /?token=SECRET once in the browser)." };
        var jobs = CommandOptions.Number<int>("--jobs", "Edits a worker runs at once (default 1: one edit already uses every core).");
        var takeover = CommandOptions.Number<int>("--takeover-seconds",
            "With --database: seconds after a worker's last sign of life before another worker takes over its job (default 60).");
        var maxUpload = CommandOptions.Number<int>("--max-upload-mb", "Largest upload accepted, in MB (default 200).");
        var maxSeconds = CommandOptions.Number<double>("--max-seconds", "Longest video accepted, in seconds (default 120).");
        var maxSide = CommandOptions.Number<int>("--max-side", "Largest video side accepted, in pixels (default 1920).");
        var device = CommandOptions.Device();
        var command = new Command("serve", "Vidiff Studio: a web app for editing videos, on a job queue that scales out to many workers.")
        {
            port, host, data, models, role, database, token, jobs, takeover, maxUpload, maxSeconds, maxSide, device,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var o = new StudioOptions(
                Path.GetFullPath(parse.GetValue(data) ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "vidiff", "studio")),
                parse.GetValue(models) is { } m ? Path.GetFullPath(m) : null, parse.GetValue(role), parse.GetValue(host)!, parse.GetValue(port) ?? 5000,
                parse.GetValue(database), parse.GetValue(token), parse.GetValue(jobs) ?? 1);
            o = o with
            {
                MaxUploadBytes = (long)(parse.GetValue(maxUpload) ?? (int)(o.MaxUploadBytes >> 20)) << 20,
                MaxSeconds = parse.GetValue(maxSeconds) ?? o.MaxSeconds,
                MaxSide = parse.GetValue(maxSide) ?? o.MaxSide,
                Device = parse.GetValue(device)!,
                Invisibility = parse.GetValue(takeover) is { } t ? TimeSpan.FromSeconds(t) : o.Invisibility,
            };
            // Only the shared queue hands jobs over; SQLite's single process has no other worker to hand them to.
            if (parse.GetValue(takeover) is not null && o.Database is null)
                throw new ArgumentException("--takeover-seconds applies to the shared job queue: give --database as well.");
            return Run(o);
        }));
        return command;
    }

    static int Run(StudioOptions o)
    {
        DeviceChoice.Parse(o.Device); // a worker meant for a GPU refuses to start without it, rather than take jobs to run on the CPU
        if (o.Port is < 1 or > 65535) throw new ArgumentException($"--port {o.Port} is outside 1..65535.");
        if (o.Jobs < 1) throw new ArgumentException($"--jobs expects a positive integer, got {o.Jobs}.");
        if (o.Invisibility < StudioOptions.MinTakeover || o.Invisibility > StudioOptions.MaxTakeover)
            throw new ArgumentException($"--takeover-seconds expects {StudioOptions.MinTakeover.TotalSeconds:0}..{StudioOptions.MaxTakeover.TotalSeconds:0}, got {o.Invisibility.TotalSeconds:0}.");
        if (o.MaxUploadBytes < 1 || o.MaxSeconds <= 0 || o.MaxSide < 1) throw new ArgumentException("--max-upload-mb, --max-seconds and --max-side expect positive numbers.");
        if (o.Role == StudioRole.Worker && o.Database is null)
            throw new ArgumentException("--role worker takes its jobs from a shared queue: give --database with the PostgreSQL connection string the web process uses.");
        if (o.Models is not null && !Directory.Exists(o.Models)) throw new DirectoryNotFoundException($"--models {o.Models} is not a folder.");
        using var cooperate = Shutdown.Cooperate(); // a first Ctrl+C stops the app and hands running jobs back to the queue
        IHost host;
        if (o.Role == StudioRole.Worker)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            StudioEngine.Add(builder.Services, o);
            host = builder.Build();
        }
        else host = StudioApp.Build(o);
        using (host)
        {
            host.Start();
            var queue = o.Database is null ? $"SQLite {Path.Combine(o.Data, "queue.db")}" : "PostgreSQL (--database)";
            AnsiConsole.MarkupLine(o.Role == StudioRole.Worker
                ? $"Vidiff Studio worker: {o.Jobs} job(s) at a time from {CommandErrors.Escape(queue)}; files under {CommandErrors.Escape(o.Data)}"
                : $"Vidiff Studio on [bold]http://{CommandErrors.Escape(o.Host)}:{o.Port}/[/] ({o.Role.ToString().ToLowerInvariant()}; queue {CommandErrors.Escape(queue)}; files under {CommandErrors.Escape(o.Data)})");
            if (!o.Loopback) AnsiConsole.MarkupLine($"listening beyond this machine on {CommandErrors.Escape(o.Host)}: every request needs the token (Authorization: Bearer, or /?token=… once in a browser)");
            AnsiConsole.MarkupLine("[grey]Ctrl+C stops it; running jobs go back to the queue.[/]");
            Shutdown.Token.WaitHandle.WaitOne();
            host.StopAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        }
        return 0;
    }
}
