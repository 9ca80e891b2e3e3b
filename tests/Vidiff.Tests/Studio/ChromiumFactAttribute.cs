namespace Vidiff.Tests.Studio;

/// <summary>A test that needs Debian's Chromium: skipped, saying how to get it, where it is not installed (.ci/run
/// and the README's set-up line install it, so there it runs).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Chromium)) Skip = $"{Chromium} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does.";
    }
}
