using Vidiff.Tests.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Vidiff.Cli.Studio;
using Vidiff.Tests.Cli;

namespace Vidiff.Tests.Studio;

/// <summary>Every route of Studio's API and every refusal, in-process on the real app and job engine (issue 20 §3).</summary>
public sealed class StudioApiTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    /// <summary>A job of the tiny model on the fixture's clip, with <paramref name="fields"/> added or replacing.</summary>
    MultipartFormDataContent Job(params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var values = new Dictionary<string, string> { ["prompt"] = "a red ball", ["model"] = "model", ["steps"] = "2", ["bf16"] = "false" };
        foreach (var (name, value) in fields) values[name] = value;
        foreach (var (name, value) in values.Where(v => v.Value != ""))
            form.Add(new StringContent(value), name);
        if (!fields.Any(f => f.Name is "sample" or "from_job" or "video"))
            form.Add(new ByteArrayContent(File.ReadAllBytes(fixture.Clip)), "video", "my clip.mp4");
        return form;
    }

    StudioServer Start(Func<StudioOptions, StudioOptions>? tweak = null) =>
        StudioServer.Start(o => (tweak ?? (x => x))(o with { Models = fixture.Root }));

    static async Task<JsonElement> Json(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    static async Task<string> Refusal(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
    }

    /// <summary>Polls the job until <paramref name="done"/> holds for it or it is gone (404: default).</summary>
    static async Task<JsonElement> WaitFor(StudioServer studio, string id, Func<JsonElement, bool> done)
    {
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < until)
        {
            var response = await studio.Client.GetAsync($"/api/jobs/{id}");
            if (response.StatusCode == HttpStatusCode.NotFound) return default;
            var job = await Json(response);
            if (done(job)) return job;
            await Task.Delay(200);
        }
        throw new TimeoutException($"job {id} did not get there in 2 minutes");
    }

    [Fact]
    public async Task A_job_runs_from_upload_to_files_with_its_progress_pushed_as_events()
    {
        await using var studio = Start();
        var models = await Json(await studio.Client.GetAsync("/api/models"));
        Assert.Equal(["mini", "model"], models.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).Order());
        Assert.Equal("ring-and-ball", models.GetProperty("sample").GetString());

        var created = await studio.Client.PostAsync("/api/jobs", Job(("seed", "7")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await Json(created)).GetProperty("id").GetString()!;
        Assert.Equal("my clip.mp4", (await Json(await studio.Client.GetAsync($"/api/jobs/{id}"))).GetProperty("input").GetString());

        // The event stream ends with the job; its last event says done, earlier ones name the phases as they pass.
        var events = await studio.Client.GetStringAsync($"/api/jobs/{id}/events");
        var states = events.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.GetProperty("status")).ToList();
        Assert.Equal("done", states[^1].GetProperty("state").GetString());
        Assert.Contains(states, s => s.TryGetProperty("phase", out var p) && p.GetString() == "denoise");

        var job = await Json(await studio.Client.GetAsync($"/api/jobs/{id}"));
        var files = job.GetProperty("files");
        foreach (var name in new[] { "input", "output", "preview", "picture", "settings" }) Assert.True(files.TryGetProperty(name, out _), name);
        var output = await studio.Client.GetAsync(files.GetProperty("output").GetString());
        Assert.Equal("video/mp4", output.Content.Headers.ContentType!.MediaType);
        var settings = await Json(await studio.Client.GetAsync(files.GetProperty("settings").GetString()));
        Assert.Equal(7, settings.GetProperty("seed").GetInt64());
        Assert.Equal(2, settings.GetProperty("steps").GetInt32());
        var local = Path.Combine(studio.Data, "output.mp4");
        await File.WriteAllBytesAsync(local, await output.Content.ReadAsByteArrayAsync());
        Assert.Equal(settings.GetProperty("frames").GetInt32(), Vidiff.Media.VideoProbe.Run(local).FrameCount);

        var list = await Json(await studio.Client.GetAsync("/api/jobs"));
        Assert.Equal(id, Assert.Single(list.EnumerateArray()).GetProperty("id").GetString());
        Assert.Contains("nothing to cancel", await Refusal(await studio.Client.PostAsync($"/api/jobs/{id}/cancel", null), HttpStatusCode.Conflict));

        // Edit again from this job's input: the new job copies it, nothing is uploaded.
        var again = await studio.Client.PostAsync("/api/jobs", Job(("from_job", id), ("prompt", "a blue ball")));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        var second = (await Json(again)).GetProperty("id").GetString()!;
        Assert.Equal("my clip.mp4", (await WaitFor(studio, second, j => j.GetProperty("status").GetProperty("state").GetString() == "done")).GetProperty("input").GetString());
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_one_line_and_leave_no_files()
    {
        await using var studio = Start(o => o with { MaxSide = 1920 });
        var notVideo = Path.Combine(studio.Data, "notes.mp4");
        await File.WriteAllTextAsync(notVideo, "not a video");

        async Task Refused(MultipartFormDataContent form, string expected, HttpStatusCode status = HttpStatusCode.BadRequest) =>
            Assert.Contains(expected, await Refusal(await studio.Client.PostAsync("/api/jobs", form), status));

        await Refused(Job(("prompt", "")), "exactly one of a prompt and a reference image");
        await Refused(Job(("model", "nope")), "model 'nope' is not one of: mini, model");
        await Refused(Job(("ts", "abc")), "ts expects an integer, got 'abc'");
        await Refused(Job(("ts", "99")), "--ts 99 is outside [0, ");
        await Refused(Job(("guidance", "100")), "--guidance 100 is outside [0, 30]");
        await Refused(Job(("sampler", "euler")), "sampler expects ddim or dpmpp, got 'euler'");
        await Refused(Job(("size", "33x33")), "multiples of the latent stride");
        await Refused(Job(("start", "50")), "the selected range has no frames");
        await Refused(Job(("sample", "other")), "sample 'other' is not available here");
        await Refused(Job(("from_job", "../../etc")), "from_job '../../etc' is not a job here");
        await Refused(Job(("sample", "ring-and-ball"), ("from_job", "0123456789ab")), "exactly one of a video file");
        var text = Job(("video", "x"));
        text.Add(new StringContent("hello"), "video", "notes.txt");
        await Refused(text, "has no known extension");
        var broken = Job(("video", "x"));
        broken.Add(new ByteArrayContent(File.ReadAllBytes(notVideo)), "video", "clip.mp4");
        await Refused(broken, "The video 'clip.mp4' cannot be read");
        var image = Job(("prompt", ""));
        image.Add(new ByteArrayContent("not an image"u8.ToArray()), "image", "look.png");
        await Refused(image, "The image 'look.png' cannot be read");
        Assert.Contains("multipart/form-data", await Refusal(await studio.Client.PostAsync("/api/jobs", new StringContent("{}")), HttpStatusCode.BadRequest));
        Assert.Empty(studio.JobsFolder());

        Assert.Contains("No job 'nothing'", await Refusal(await studio.Client.GetAsync("/api/jobs/nothing"), HttpStatusCode.NotFound));
        Assert.Contains("No job", await Refusal(await studio.Client.GetAsync("/api/jobs/0123456789ab/events"), HttpStatusCode.NotFound));
        Assert.Contains("No job", await Refusal(await studio.Client.PostAsync("/api/jobs/0123456789ab/cancel", null), HttpStatusCode.NotFound));
        Assert.Contains("No job", await Refusal(await studio.Client.GetAsync("/api/jobs/0123456789ab/files/output"), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task A_text_state_model_is_offered_for_prompts_only()
    {
        using var models = new Fixtures.TempDir();
        FolderImport.Diffusers(Fixtures.Path("import", "sd2depth_pipeline"), models["sd2depth"], new FolderImport.Options());
        await using var studio = StudioServer.Start(o => o with { Models = models.Root });
        var listed = (await Json(await studio.Client.GetAsync("/api/models"))).GetProperty("models").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("content").GetString());
        Assert.Equal("text_states", listed["sd2depth"]);
        Assert.Equal("image_embedding", listed["mini"]);

        var form = Job(("prompt", ""), ("model", "sd2depth"));
        form.Add(new ByteArrayContent(File.ReadAllBytes(Fixtures.Repository("samples", "look.png"))), "image", "look.png");
        Assert.Contains("reads text", await Refusal(await studio.Client.PostAsync("/api/jobs", form), HttpStatusCode.BadRequest));
        Assert.Empty(studio.JobsFolder());
    }

    [Fact]
    public async Task Uploads_over_the_limits_are_refused_naming_the_limit()
    {
        await using var studio = Start(o => o with { MaxUploadBytes = 4096, MaxSeconds = 0.5, MaxSide = 16 });
        Assert.Contains("over the limit of 0 MB", await Refusal(await studio.Client.PostAsync("/api/jobs", Job()), HttpStatusCode.RequestEntityTooLarge));
        await using var small = Start(o => o with { MaxSeconds = 0.5 });
        Assert.Contains("lasts 1 s; the limit is 0.5 s (vidiff serve --max-seconds)", await Refusal(await small.Client.PostAsync("/api/jobs", Job()), HttpStatusCode.BadRequest));
        await using var narrow = Start(o => o with { MaxSide = 16 });
        Assert.Contains("is 32×24; the limit is 16 pixels a side", await Refusal(await narrow.Client.PostAsync("/api/jobs", Job()), HttpStatusCode.BadRequest));
        Assert.Empty(studio.JobsFolder());
        Assert.Empty(small.JobsFolder());
        Assert.Empty(narrow.JobsFolder());
    }

    [Fact]
    public async Task Files_are_served_by_job_id_and_fixed_name_only()
    {
        await using var studio = Start();
        var id = (await Json(await studio.Client.PostAsync("/api/jobs", Job()))).GetProperty("id").GetString()!;
        await WaitFor(studio, id, j => j.GetProperty("status").GetProperty("state").GetString() == "done");
        Assert.Contains("the names are input, image", await Refusal(await studio.Client.GetAsync($"/api/jobs/{id}/files/job.json"), HttpStatusCode.NotFound));
        Assert.Contains("has no image", await Refusal(await studio.Client.GetAsync($"/api/jobs/{id}/files/image"), HttpStatusCode.NotFound));
        Assert.Equal(HttpStatusCode.NotFound, (await studio.Client.GetAsync($"/api/jobs/{id}/files/..%2F..%2Fqueue.db")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await studio.Client.GetAsync($"/api/jobs/..%2F{id}/files/input")).StatusCode);
        var input = await studio.Client.GetByteArrayAsync($"/api/jobs/{id}/files/input");
        Assert.Equal(File.ReadAllBytes(fixture.Clip), input);
    }

    [Fact]
    public async Task A_cancelled_job_leaves_nothing_behind()
    {
        await using var studio = Start();
        // A long job (many steps) cancelled while it runs, and one cancelled while it waits behind it.
        var running = (await Json(await studio.Client.PostAsync("/api/jobs", Job(("steps", "1000"))))).GetProperty("id").GetString()!;
        var waiting = (await Json(await studio.Client.PostAsync("/api/jobs", Job()))).GetProperty("id").GetString()!;
        await WaitFor(studio, running, j => j.GetProperty("status").TryGetProperty("phase", out var p) && p.GetString() == "denoise");
        Assert.Equal(HttpStatusCode.Accepted, (await studio.Client.PostAsync($"/api/jobs/{waiting}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await studio.Client.PostAsync($"/api/jobs/{running}/cancel", null)).StatusCode);
        await WaitFor(studio, running, _ => false); // until it is gone: the worker removes it within a step
        Assert.Empty(studio.JobsFolder());
        Assert.Equal(HttpStatusCode.NotFound, (await studio.Client.GetAsync($"/api/jobs/{running}")).StatusCode);
        Assert.Equal("[]", await studio.Client.GetStringAsync("/api/jobs"));
    }

    [Fact]
    public async Task Beyond_loopback_every_route_needs_the_token()
    {
        Assert.Contains("give --token", Assert.Throws<ArgumentException>(() => StudioApp.Build(new StudioOptions(Path.GetTempPath(), Host: "0.0.0.0"))).Message);
        await using var studio = Start(o => o with { Host = "0.0.0.0", Token = "s3cret" });
        foreach (var path in new[] { "/", "/app.js", "/api/models", "/api/jobs", "/api/jobs/0123456789ab/files/output" })
            Assert.Contains("needs its token", await Refusal(await studio.Client.GetAsync(path), HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.Unauthorized, (await studio.Client.PostAsync("/api/jobs", Job())).StatusCode);
        Assert.Empty(studio.JobsFolder());
        studio.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await studio.Client.GetAsync("/api/models")).StatusCode);
        studio.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await studio.Client.GetAsync("/api/models")).StatusCode);

        // The browser's way in: /?token= once sets the cookie, and the page's requests carry it.
        studio.Client.DefaultRequestHeaders.Authorization = null;
        var door = await studio.Client.GetAsync("/?token=s3cret");
        Assert.Equal(HttpStatusCode.Redirect, door.StatusCode);
        var cookie = Assert.Single(door.Headers.GetValues("Set-Cookie"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        request.Headers.Add("Cookie", cookie.Split(';')[0]);
        Assert.Equal(HttpStatusCode.OK, (await studio.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task The_page_is_served_with_its_script()
    {
        await using var studio = Start();
        var page = await studio.Client.GetStringAsync("/");
        Assert.Contains("<title>Vidiff Studio</title>", page);
        Assert.Contains("EventSource", await studio.Client.GetStringAsync("/app.js"));
    }
}
