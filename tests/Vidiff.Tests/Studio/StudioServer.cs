using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Vidiff.Cli.Studio;

namespace Vidiff.Tests.Studio;

/// <summary>Vidiff Studio in-process (the real app, its routes and its job engine on SQLite), with a client to it.</summary>
sealed class StudioServer : IAsyncDisposable
{
    public string Data { get; } = Directory.CreateTempSubdirectory("vidiff-studio-").FullName;
    public WebApplication App { get; }
    public HttpClient Client { get; }
    public StudioOptions Options { get; }

    StudioServer(Func<StudioOptions, StudioOptions> options)
    {
        Options = options(new StudioOptions(Data));
        App = StudioApp.Build(Options, b => b.WebHost.UseTestServer());
        App.Start();
        Client = App.GetTestClient();
        Client.Timeout = TimeSpan.FromMinutes(2);
    }

    /// <summary>A local port no one listens on now, for the Studio processes and PostgreSQL the tests start.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static StudioServer Start(Func<StudioOptions, StudioOptions>? options = null) => new(options ?? (o => o));

    /// <summary>Every entry of the jobs folder: job ids, and anything else a refused or cancelled job would have left.</summary>
    public string[] JobsFolder() => Directory.Exists(Options.JobsFolder)
        ? [.. Directory.EnumerateFileSystemEntries(Options.JobsFolder).Select(Path.GetFileName).Order()!]
        : [];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(Data, recursive: true);
    }
}
