namespace Vidiff.Tests.Studio;

/// <summary>A test that needs a real PostgreSQL: skipped, saying how to get one, where none can be started (.ci/run
/// and the README's set-up line install Debian's postgresql, so there it runs).</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestPostgres.Missing is { } why) Skip = why;
    }
}
