using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Vidiff.Checkpoints;
using Vidiff.Media;
using Vidiff.Pipelines;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Cli.Commands;

/// <summary>
/// `vidiff depth`: the depth the edit's structure comes from (paper §3), normalised per clip and colour-mapped
/// (near warm, far dark), and with --raw also as 16-bit PNGs (0 far … 65535 near).
/// </summary>
static class DepthCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Video file or folder of numbered images." };
        var output = new Option<string>("--output", "-o") { Description = "Output video (.mp4, .webm, .gif).", Required = true };
        var raw = new Option<bool>("--raw") { Description = "Also write 16-bit PNGs of the normalised depth to OUT.raw/." };
        var model = CommandOptions.Model();
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing outputs." };
        var device = CommandOptions.Device();
        var frames = new FrameOptions();
        var command = new Command("depth", "Write the depth video of an input as the edit sees it (per-clip normalised, colour-mapped).") { input, output, raw, model };
        frames.AddTo(command);
        command.Add(overwrite);
        command.Add(device);
        command.SetAction(parse => CommandErrors.Run(() => Run(parse.GetValue(input)!, parse.GetValue(output)!, parse.GetValue(raw),
            parse.GetValue(model), frames.Read(parse), parse.GetValue(overwrite), parse.GetValue(device)!)));
        return command;
    }

    static int Run(string inputArg, string outputArg, bool raw, string? modelArg, FrameOptions.Values frames, bool overwrite, string deviceArg)
    {
        var clock = Stopwatch.StartNew();
        var device = DeviceChoice.Parse(deviceArg);
        using var cooperate = Shutdown.Cooperate();
        var input = CommandOptions.CheckInput(inputArg);
        var modelPath = CommandOptions.ResolveModel(modelArg);
        (string, string)[] reads = [(input, "the input"), (modelPath, "the model folder")];
        var output = OutputPaths.Check(outputArg, overwrite, VideoWriter.IsFolder(outputArg), reads);
        var rawDir = Path.TrimEndingDirectorySeparator(output) + ".raw";
        if (raw) OutputPaths.Check(rawDir, overwrite, folder: true, reads);
        Threads.Configure();
        using var model = ModelFolder.Load(modelPath, device: device);
        var (width, height) = frames.Size ?? (model.Config.Width, model.Config.Height);
        var video = FrameOptions.Open(input, frames, width, height);

        var rawTemp = AtomicFile.TempBeside(rawDir);
        using (Shutdown.Temporary(rawTemp))
        {
            if (raw) Directory.CreateDirectory(rawTemp);
            using var writer = video.Writer(output, overwrite, audio: false);
            int index = 0;
            AnsiConsole.Progress().Start(context =>
            {
                var task = context.AddTask("depth", maxValue: 2 * video.FrameCount);
                new EditPipeline(model).EstimateDepth(() => video.Read(model.Config.WindowFrames), depth =>
                {
                    writer.Write(EditPipeline.ColourDepth(depth * 2 - 1));
                    if (!raw) return;
                    for (int i = 0; i < depth.shape[0]; i++)
                        ImageFile.WriteGray16(Path.Combine(rawTemp, $"{index++:D5}.png"), depth[i, 0]);
                }, new Progress<int>(done => task.Value = done), Shutdown.Token);
            });
            writer.Complete();
            if (raw) FrameFolder.Place(rawTemp, rawDir, overwrite);
        }
        AnsiConsole.MarkupLine($"wrote [bold]{CommandErrors.Escape(output)}[/]{(raw ? $" and {CommandErrors.Escape(rawDir)}/" : "")} ({video.FrameCount} frames) in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
