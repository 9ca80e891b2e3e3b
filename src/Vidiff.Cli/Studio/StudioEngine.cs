using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Vidiff.Cli.Studio;

/// <summary>
/// The job engine under Studio: Hangfire (docs/architecture.md says why), its queue in SQLite under the data folder for
/// one process, or in PostgreSQL for web and worker processes on many machines. Workers run one edit at a time by
/// default: an edit already uses every core.
/// </summary>
static class StudioEngine
{
    public static void Add(IServiceCollection services, StudioOptions o)
    {
        Directory.CreateDirectory(o.JobsFolder);
        services.AddSingleton(o);
        services.AddSingleton(new JobStore(o.JobsFolder));
        services.AddSingleton(new ModelCatalog(o.Models));
        services.AddTransient<EditJob>();
        var postgres = o.Database is null ? null : Postgres(o);
        services.AddHangfire(c =>
        {
            c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            if (postgres is null)
                c.UseSQLiteStorage(Path.Combine(o.Data, "queue.db"), new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1) });
            else
                c.UseStorage(postgres);
        });
        if (o.Role != StudioRole.Web)
            services.AddHangfireServer(s =>
            {
                s.WorkerCount = o.Jobs;
                s.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
                s.CancellationCheckInterval = TimeSpan.FromSeconds(1);
                s.ShutdownTimeout = TimeSpan.FromSeconds(30);
            });
    }

    /// <summary>An arbitrary number of Vidiff's own: the advisory lock that one process holds while it creates or
    /// upgrades the queue's tables.</summary>
    const long SchemaLock = 0x7669_6469_6666; // "vidiff"

    /// <summary>
    /// The shared queue, its tables created if the database is new. Hangfire.PostgreSql creates them without a lock,
    /// and processes that start together on a new database collide in it (duplicate keys, missing tuples: seen with a
    /// web and two workers started at once); so each process takes a lock of the database for it, and the later ones
    /// find the tables there.
    /// </summary>
    static PostgreSqlStorage Postgres(StudioOptions o)
    {
        var options = new PostgreSqlStorageOptions
        {
            // The sliding timeout: a live worker keeps its job; one killed loses it to the next worker after Invisibility.
            InvisibilityTimeout = o.Invisibility,
            UseSlidingInvisibilityTimeout = true,
            QueuePollInterval = TimeSpan.FromMilliseconds(500),
            PrepareSchemaIfNecessary = true,
        };
        try
        {
            using var connection = new NpgsqlConnection(o.Database);
            connection.Open();
            using var transaction = connection.BeginTransaction();
            using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLock})", connection, transaction)) take.ExecuteNonQuery();
            var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(o.Database, options), options);
            transaction.Commit(); // lets the lock go
            return storage;
        }
        catch (NpgsqlException e)
        {
            // Not a bug of Vidiff's: the server is down, unreachable or refuses the login; its message says which.
            throw new IOException($"--database: PostgreSQL refused or could not be reached: {e.Message}", e);
        }
    }
}
