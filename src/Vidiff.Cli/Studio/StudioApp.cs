using System.Net.ServerSentEvents;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Hangfire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vidiff.Cli.Commands;

namespace Vidiff.Cli.Studio;

/// <summary>
/// Vidiff Studio's web side: the page, and the JSON API it uses (docs/api.md): models, jobs (create with a multipart
/// upload, list, status, live events, cancel) and a job's files by job id and fixed name only.
/// </summary>
public static class StudioApp
{
    const string TokenCookie = "vidiff_token";

    /// <summary>The public names of a job's files, each a fixed file in its folder.</summary>
    static readonly Dictionary<string, (Func<JobSpec, string?> File, string Type)> Files = new()
    {
        ["input"] = (s => s.InputFile, ""),
        ["image"] = (s => s.ImageFile, ""),
        ["negative-image"] = (s => s.NegativeImageFile, ""),
        ["output"] = (_ => JobStore.OutputFile, "video/mp4"),
        ["preview"] = (_ => JobStore.PreviewFile, "video/mp4"),
        ["picture"] = (_ => JobStore.PictureFile, "image/png"),
        ["settings"] = (_ => JobStore.SettingsFile, "application/json"),
    };

    public static WebApplication Build(StudioOptions o, Action<WebApplicationBuilder>? configure = null)
    {
        if (!o.Loopback && string.IsNullOrEmpty(o.Token))
            throw new ArgumentException($"--host {o.Host} listens beyond this machine; give --token SECRET, which every request must then carry.");
        Directory.CreateDirectory(o.Data);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = o.Data });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://{(o.Host == "localhost" ? "localhost" : o.Host)}:{o.Port}");
        // Room for the form's text fields beside the largest upload; past it Kestrel stops reading.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = o.MaxUploadBytes + (1 << 20));
        builder.Services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = o.MaxUploadBytes);
        StudioEngine.Add(builder.Services, o);
        builder.Services.AddSingleton<JobForm>();
        configure?.Invoke(builder);

        var app = builder.Build();
        var store = app.Services.GetRequiredService<JobStore>();
        store.RemoveStaleStaging(TimeSpan.FromHours(1));
        if (!string.IsNullOrEmpty(o.Token)) app.Use(RequireToken(o.Token));

        app.MapGet("/", () => Page("index.html", "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Page("app.js", "text/javascript; charset=utf-8"));
        app.MapGet("/app.css", () => Page("app.css", "text/css; charset=utf-8"));

        app.MapGet("/api/models", (ModelCatalog models) => Results.Json(new
        {
            models = models.List().Select(m => new { m.Name, m.Title, m.Width, m.Height, structure_levels = m.StructureLevels, defaults = m.Defaults, content = m.Content }),
            sample = JobForm.SamplePath() is null ? null : JobForm.Sample,
            limits = new { max_upload_mb = o.MaxUploadBytes >> 20, max_seconds = o.MaxSeconds, max_side = o.MaxSide },
        }, JobStore.Json));
        app.MapGet("/api/jobs", () => Results.Json(store.List().Select(j => View(store, j.Spec, j.Status)), JobStore.Json));
        app.MapPost("/api/jobs", (HttpRequest request, JobForm form, IBackgroundJobClient queue, CancellationToken cancel) => Create(request, form, store, queue, o, cancel));
        app.MapGet("/api/jobs/{id}", (string id) => store.Spec(id) is { } spec ? Results.Json(View(store, spec, store.Status(id)), JobStore.Json) : NotFound(id));
        app.MapGet("/api/jobs/{id}/events", (string id, CancellationToken cancel) =>
            store.Exists(id) ? TypedResults.ServerSentEvents(Events(store, id, cancel)) : NotFound(id));
        app.MapPost("/api/jobs/{id}/cancel", (string id, IBackgroundJobClient queue) => Cancel(store, queue, id));
        app.MapGet("/api/jobs/{id}/files/{name}", (string id, string name) =>
        {
            if (store.Spec(id) is not { } spec) return NotFound(id);
            if (!Files.TryGetValue(name, out var file)) return Error(404, $"A job has no file '{CommandErrors.Printable(name)}'; the names are {string.Join(", ", Files.Keys)}.");
            var path = file.File(spec) is { } f ? store.PathOf(id, f) : null;
            if (path is null || !File.Exists(path)) return Error(404, $"Job {id} has no {name} (yet).");
            return Results.File(path, file.Type is "" ? ContentType(path) : file.Type, enableRangeProcessing: true);
        });
        return app;
    }

    static async Task<IResult> Create(HttpRequest request, JobForm form, JobStore store, IBackgroundJobClient queue, StudioOptions o, CancellationToken cancel)
    {
        var tooLarge = $"The upload is over the limit of {o.MaxUploadBytes >> 20} MB (vidiff serve --max-upload-mb).";
        if (request.ContentLength > o.MaxUploadBytes + (1 << 20)) return Error(413, tooLarge);
        if (!request.HasFormContentType) return Error(400, "Send the job as multipart/form-data (docs/api.md).");
        var id = JobStore.NewId();
        var staging = store.Stage(id);
        JobSpec spec;
        try
        {
            var fields = await request.ReadFormAsync(cancel);
            spec = await form.Read(fields, id, staging, cancel);
            store.Commit(staging, spec);
        }
        catch (Exception e) when (e is BadHttpRequestException { StatusCode: 413 } || e is InvalidDataException && e.Message.Contains("length limit", StringComparison.Ordinal))
        {
            Directory.Delete(staging, recursive: true);
            return Error(413, tooLarge);
        }
        catch (Exception e) when (CommandErrors.IsUserError(e) || e is BadHttpRequestException or OperationCanceledException)
        {
            Directory.Delete(staging, recursive: true);
            return Error(400, CommandErrors.OneLine(e.Message));
        }
        var engineId = queue.Enqueue<EditJob>(job => job.Run(id, CancellationToken.None));
        store.Update(spec = spec with { EngineId = engineId });
        return Results.Json(View(store, spec, store.Status(id)), JobStore.Json, statusCode: 201);
    }

    static IResult Cancel(JobStore store, IBackgroundJobClient queue, string id)
    {
        if (store.Spec(id) is not { } spec) return NotFound(id);
        var status = store.Status(id);
        if (status.Finished) return Error(409, $"Job {id} has {status.State.ToString().ToLowerInvariant()} already; there is nothing to cancel.");
        store.RequestCancel(id);
        if (spec.EngineId is not null) queue.Delete(spec.EngineId);
        // A job no worker has started goes at once; a running one is removed by its worker within a second or so.
        if (status.State == JobState.Queued) store.Remove(id);
        return Results.Accepted();
    }

    /// <summary>The job's view (as JSON text, in the API's own naming), pushed on every change until it ends or is gone.</summary>
    static async IAsyncEnumerable<SseItem<string>> Events(JobStore store, string id, [EnumeratorCancellation] CancellationToken cancel)
    {
        string? last = null;
        while (!cancel.IsCancellationRequested)
        {
            if (store.Spec(id) is not { } spec)
            {
                yield return new SseItem<string>($"{{\"id\":\"{id}\"}}", "gone");
                yield break;
            }
            var status = store.Status(id);
            var json = System.Text.Json.JsonSerializer.Serialize(View(store, spec, status), JobStore.Json);
            if (json != last) yield return new SseItem<string>(json, "job");
            last = json;
            if (status.Finished) yield break;
            try
            {
                await Task.Delay(250, cancel);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    static object View(JobStore store, JobSpec spec, JobStatus status) => new
    {
        spec.Id,
        spec.Created,
        spec.Model,
        input = spec.InputName,
        spec.Prompt,
        image = spec.ImageName,
        spec.Negative,
        negative_image = spec.NegativeImageName,
        spec.Ts,
        spec.Guidance,
        spec.TemporalGuidance,
        spec.Steps,
        spec.Seed,
        spec.Sampler,
        spec.Size,
        spec.Start,
        spec.Duration,
        spec.Bf16,
        status,
        files = Files.Where(f => f.Value.File(spec) is { } name && File.Exists(store.PathOf(spec.Id, name)))
            .ToDictionary(f => f.Key, f => $"/api/jobs/{spec.Id}/files/{f.Key}"),
    };

    static IResult NotFound(string id) => Error(404, $"No job '{CommandErrors.Printable(id)}'.");

    static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".mp4" or ".m4v" => "video/mp4",
        ".webm" => "video/webm",
        ".mov" => "video/quicktime",
        ".mkv" => "video/x-matroska",
        ".gif" => "image/gif",
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".webp" => "image/webp",
        _ => "application/octet-stream",
    };

    static IResult Page(string name, string type)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Studio." + name)!;
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), type);
    }

    /// <summary>
    /// Every route needs the token: as a bearer header (API clients) or as the cookie that opening /?token=SECRET once
    /// sets (the browser, whose video elements cannot send headers).
    /// </summary>
    static Func<HttpContext, RequestDelegate, Task> RequireToken(string token) => async (context, next) =>
    {
        var request = context.Request;
        if (request.Path == "/" && request.Query.TryGetValue("token", out var given) && Same(given.ToString(), token))
        {
            context.Response.Cookies.Append(TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, IsEssential = true });
            context.Response.Redirect("/");
            return;
        }
        var header = request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : request.Cookies[TokenCookie];
        if (presented is null || !Same(presented, token))
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await context.Response.WriteAsJsonAsync(new { error = "This Studio needs its token: send 'Authorization: Bearer TOKEN', or open /?token=TOKEN once in the browser." });
            return;
        }
        await next(context);
    };

    static bool Same(string a, string b) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
