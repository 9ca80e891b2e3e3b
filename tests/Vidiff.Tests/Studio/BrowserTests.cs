using System.Text.Json;
using Microsoft.Playwright;
using Vidiff.Cli.Studio;

namespace Vidiff.Tests.Studio;

/// <summary>
/// Studio as its users meet it: Debian's Chromium, driven by Playwright (no browser download), uploads nothing but
/// picks the sample, starts a 2-step job on the bundled model, follows it to the end and plays the result (issue 20 §3).
/// </summary>
public sealed class BrowserTests
{
    /// <summary>Where the test leaves its screenshot (the README's docs/images/studio.png is a copy of one).</summary>
    public static string Screenshot => Path.Combine(AppContext.BaseDirectory, "studio.png");

    [ChromiumFact]
    public async Task A_user_edits_the_sample_in_the_browser_and_plays_the_result()
    {
        var data = Directory.CreateTempSubdirectory("vidiff-browser-").FullName;
        await using var app = StudioApp.Build(new StudioOptions(data, Port: StudioServer.FreePort()));
        await app.StartAsync();
        var url = $"http://localhost:{new Uri(app.Urls.First()).Port}/";
        try
        {
            using var playwright = await Playwright.CreateAsync();
            // As root Chromium needs --no-sandbox; the other flags keep it from reaching for Google's hosts on a closed network.
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ChromiumFactAttribute.Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
            await page.GotoAsync(url);
            await page.CheckAsync("input[value=sample]");
            await page.FillAsync("#prompt", "a red ball on a blue floor");
            await page.FillAsync("#steps", "2");
            await page.ClickAsync("#start-button");
            await Assertions.Expect(page.Locator("#job-state")).ToHaveTextAsync("done", new() { Timeout = 360_000 }); // the whole suite shares the 2 cores
            Assert.Equal("", await page.TextContentAsync("#job-error"));

            // The output plays in the page, and the browser decodes as many frames as the edit wrote.
            await page.ClickAsync("#play");
            await page.WaitForFunctionAsync("() => { const v = document.getElementById('output-video'); return !v.paused && v.currentTime > 0; }", null, new() { Timeout = 30_000 });
            var id = await page.TextContentAsync("#job-id");
            var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "jobs", id!, JobStore.SettingsFile))).RootElement;
            double duration = await page.EvalOnSelectorAsync<double>("#output-video", "v => v.duration");
            Assert.Equal(settings.GetProperty("frames").GetInt32(), (int)Math.Round(duration * settings.GetProperty("frame_rate").GetDouble()));
            Assert.True(await page.EvalOnSelectorAsync<bool>("#picture", "img => img.complete && img.naturalWidth > 0"), "the preview strip did not load");
            Assert.Equal(1, await page.Locator("#jobs li").CountAsync());

            await page.ScreenshotAsync(new() { Path = Screenshot, FullPage = true });
        }
        finally
        {
            // A job still running here (the test failed) goes back to the queue within a step; a slow stop must not
            // hide the test's own failure.
            try
            {
                await app.StopAsync();
            }
            catch (OperationCanceledException)
            {
            }
            Directory.Delete(data, recursive: true);
        }
    }
}
