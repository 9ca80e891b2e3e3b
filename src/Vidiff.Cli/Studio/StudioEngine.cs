using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.Storage.SQLite;
using Microsoft.Extensions.DependencyInjection;

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
        services.AddHangfire(c =>
        {
            c.SetDataCompatibilityLevel(CompatibilityLevel.Version_180).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            if (o.Database is null)
                c.UseSQLiteStorage(Path.Combine(o.Data, "queue.db"), new SQLiteStorageOptions { QueuePollInterval = TimeSpan.FromSeconds(1) });
            else
                // The sliding timeout: a live worker keeps its job; one killed loses it to the next worker after Invisibility.
                c.UsePostgreSqlStorage(b => b.UseNpgsqlConnection(o.Database), new PostgreSqlStorageOptions
                {
                    InvisibilityTimeout = o.Invisibility,
                    UseSlidingInvisibilityTimeout = true,
                    QueuePollInterval = TimeSpan.FromMilliseconds(500),
                    PrepareSchemaIfNecessary = true,
                });
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
}
