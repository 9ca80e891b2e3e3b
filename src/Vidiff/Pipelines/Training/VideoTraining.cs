using Vidiff.Checkpoints;
using Vidiff.Media;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// The UNet stage on the user's own videos (<c>vidiff train --stage unet --data VIDEOS --init MODELDIR --out MODELDIR2</c>),
/// as the paper adds temporal layers to an image model and trains them on video (§2, §6): <paramref name="init"/>'s folder
/// is copied to <paramref name="output"/> (a temporary sibling renamed into place) and its UNet trained there, on the
/// clips of <see cref="VideoClips"/>, with structure from the model's own depth estimator at t_s drawn as in training
/// and content the CLIP image embedding of a random frame of the clip (caption-free, §4), or for a text-state model its
/// null content. Run state lives in <c>training/unet/</c> of the output, so rerunning the command continues;
/// <c>vidiff.json</c> then records that the temporal layers are trained.
/// </summary>
public static class VideoTraining
{
    public static StageResult Run(string videos, string init, string output, int? frames, int stride, TrainingOptions options, UnetSettings settings,
        Action<string> say, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        var config = ModelFolder.ReadConfig(init);
        var missing = new[] { ModelFolder.AutoencoderFile, ModelFolder.UnetFile, ModelFolder.ClipFile, ModelFolder.DepthFile }
            .Where(f => !File.Exists(Path.Combine(init, f))).ToList();
        if (missing.Count > 0) throw new FileNotFoundException($"--init {init} is missing {string.Join(", ", missing)}; expected a model folder (vidiff import, vidiff model new).");
        if (config.Content == ModelConfig.ContentKind.TextStates && !settings.FreezeSpatial)
            throw new ArgumentException($"--init {init} reads text (content: text_states) and videos have no captions: it trains content-free, with its null content, and only its temporal layers; add --freeze spatial.");
        int length = frames ?? config.WindowFrames;
        if (length < 2 || length > config.Unet.MaxFrames)
            throw new ArgumentException($"--frames {length}: expected 2..{config.Unet.MaxFrames} (a clip the temporal layers can see at once).");
        if (stride < 1) throw new ArgumentException($"--stride {stride}: expected a positive number of frames.");

        string target = Path.GetFullPath(output), runDir = Path.Combine(target, StageContext.RunsFolder, UnetStage.Name);
        if (target == Path.GetFullPath(init)) throw new ArgumentException($"--out {output} is --init; expected a new folder for the result.");
        if (Directory.Exists(target) && !Directory.Exists(runDir))
            throw new IOException($"--out {output} exists and holds no run of vidiff train; expected a new folder (or the --out of an earlier run, to continue it).");

        var cache = Path.Combine(StageContext.RunsFolder, UnetStage.Name, VideoClips.CacheFile);
        using var clips = VideoClips.Open(videos, new FrameFitting(config.Width, config.Height, FrameFit.Crop), length, stride, Path.Combine(target, cache), progress);
        foreach (var skipped in clips.Skipped) say($"skipping {skipped}");
        if (!Directory.Exists(target)) Create(init, target, folder => clips.Save(Path.Combine(folder, cache)));
        else if (!clips.Cached) clips.Save(Path.Combine(target, cache));

        clips.Data.Device = options.Device ?? CPU;
        var ctx = new StageContext(clips.Data, target, options, progress, cancel);
        return UnetStage.Run(ctx, settings with { Init = Path.Combine(init, ModelFolder.UnetFile), MinFrames = length, MaxFrames = length });
    }

    /// <summary>The model folder without its run state, and what <paramref name="fill"/> adds (the run's first state, so the
    /// folder is never there without it), into a temporary sibling renamed into place.</summary>
    static void Create(string from, string to, Action<string> fill)
    {
        var temp = Path.Combine(Path.GetDirectoryName(to)!, $".{Path.GetFileName(to)}.tmp-{Environment.ProcessId}");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        using var cleanup = Shutdown.Temporary(temp);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith(StageContext.RunsFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.GetFileName(file).StartsWith('.')) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(temp, relative))!);
            File.Copy(file, Path.Combine(temp, relative));
        }
        fill(temp);
        Posix.Rename(temp, to, replace: false);
    }
}
