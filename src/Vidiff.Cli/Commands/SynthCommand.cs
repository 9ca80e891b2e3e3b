using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Vidiff.Synthetic;

namespace Vidiff.Cli.Commands;

static class SynthCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder to write the data set to (created; an existing one made with the same settings is resumed).", Required = true };
        var clips = new Option<int>("--clips") { Description = "Number of video clips.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed that fixes every scene, caption and pixel.", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--size") { Description = "Frame width and height in pixels.", DefaultValueFactory = _ => 64 };
        var frames = new Option<string>("--frames") { Description = "Frames per clip: a range like 8..16 or a fixed count.", DefaultValueFactory = _ => "8..16" };
        var images = new Option<int>("--images") { Description = "Number of still images (one-frame clips, no motion) for joint image-video training.", DefaultValueFactory = _ => 0 };
        var command = new Command("synth", "Render a synthetic data set of the procedural world: RGB frames, exact depth, object masks and captions.")
        {
            output, clips, seed, size, frames, images,
        };
        command.SetAction(parse => Run(parse.GetValue(output)!, parse.GetValue(clips), parse.GetValue(seed), parse.GetValue(size), parse.GetValue(frames)!, parse.GetValue(images)));
        return command;
    }

    static int Run(string output, int clips, int seed, int size, string frames, int images)
    {
        try
        {
            var (min, max) = ParseFrames(frames);
            var settings = new SynthSettings(clips, seed, size, min, max, images);
            SynthSummary? summary = null;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("rendering", maxValue: Math.Max(1, clips + images));
                    summary = SyntheticWriter.Write(output, settings, s =>
                    {
                        task.Value = s.Written + s.Skipped;
                        task.Description = $"{s.FramesPerSecond:F0} frames/s";
                    });
                    task.Value = task.MaxValue;
                });
            var s = summary!;
            var table = new Table().HideHeaders().AddColumns("", "");
            table.AddRow("data set", Markup.Escape(Path.GetFullPath(output)));
            table.AddRow("clips + images", $"{s.Total} ({clips} clips of {min}..{max} frames, {images} images, {size}×{size})");
            table.AddRow("written", $"{s.Written} ({s.FramesRendered} frames in {s.Elapsed.TotalSeconds:F1} s, {s.FramesPerSecond:F1} frames/s)");
            table.AddRow("already complete", s.Skipped.ToString(CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidDataException or IOException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }

    /// <summary>"8..16" or "12".</summary>
    static (int Min, int Max) ParseFrames(string text)
    {
        var parts = text.Split("..");
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            int min = int.Parse(parts[0], CultureInfo.InvariantCulture), max = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            return (min, max);
        }
        throw new ArgumentException($"--frames \"{text}\" is not a frame count: expected a range like 8..16 or a number like 12");
    }
}
