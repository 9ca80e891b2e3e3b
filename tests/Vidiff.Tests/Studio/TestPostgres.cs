using Npgsql;
using Vidiff.Tests.Cli;

namespace Vidiff.Tests.Studio;

/// <summary>
/// A real PostgreSQL for the scale-out tests, each test in a database of its own: the server .ci/run started
/// (VIDIFF_TEST_POSTGRES, a connection string), or else a throwaway cluster of Debian's postgresql made with
/// initdb and pg_ctl in a temporary folder, on a free local port, and stopped with the test.
/// </summary>
sealed class TestPostgres : IDisposable
{
    public const string Variable = "VIDIFF_TEST_POSTGRES";
    public const string Bin = "/usr/lib/postgresql/15/bin";

    /// <summary>Why the tests cannot have a PostgreSQL here, or null when they can.</summary>
    public static string? Missing =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } || File.Exists(Path.Combine(Bin, "pg_ctl")) ? null
        : $"No PostgreSQL: set {Variable} to a connection string, or install Debian's postgresql (apt-get install postgresql), as .ci/run does.";

    readonly string? cluster;
    readonly string server;

    /// <summary>The connection string of this test's own database.</summary>
    public string ConnectionString { get; }

    public TestPostgres()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given) server = given;
        else (cluster, server) = StartCluster();
        var database = $"vidiff_test_{Guid.NewGuid():N}";
        Execute(server, $"CREATE DATABASE {database}");
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = database, Pooling = false }.ConnectionString;
    }

    public static object? Scalar(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    static void Execute(string connectionString, string sql) => Scalar(connectionString, sql);

    /// <summary>initdb and pg_ctl refuse to run as root; as root they run as Debian's postgres user, which must own the folder.</summary>
    static (string Folder, string ConnectionString) StartCluster()
    {
        var folder = Directory.CreateTempSubdirectory("vidiff-pg-").FullName;
        if (Environment.UserName == "root") Run("chown", "postgres:postgres", folder);
        var data = Path.Combine(folder, "data");
        var port = StudioServer.FreePort();
        Pg("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync");
        Pg("pg_ctl", "-D", data, "-l", Path.Combine(folder, "log"), "-w", "-o", $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
        return (folder, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false");
    }

    static void Pg(string tool, params string[] args)
    {
        var exe = Path.Combine(Bin, tool);
        if (Environment.UserName == "root") Run("runuser", ["-u", "postgres", "--", exe, .. args]);
        else Run(exe, args);
    }

    static void Run(string exe, params string[] args)
    {
        var (code, stdout, stderr) = CliFixture.Run(exe, args);
        if (code != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} exited {code}: {stdout}{stderr}");
    }

    public void Dispose()
    {
        if (cluster is null)
        {
            NpgsqlConnection.ClearAllPools();
            var database = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
            Execute(server, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            return;
        }
        Pg("pg_ctl", "-D", Path.Combine(cluster, "data"), "-m", "immediate", "-w", "stop");
        Directory.Delete(cluster, recursive: true);
    }
}
