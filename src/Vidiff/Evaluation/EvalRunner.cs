using System.Diagnostics;
using Vidiff.Checkpoints;
using Vidiff.Depth;
using Vidiff.Diffusion;
using Vidiff.Pipelines;
using static TorchSharp.torch;

namespace Vidiff.Evaluation;

/// <summary>
/// The measurement of issue 5 §4 on held-out clips: structure fidelity over t_s (paper §3), content from text and from
/// an image (§4), temporal consistency against the per-frame model (§5, §8), prompt consistency against ω = 1 (§5, §8)
/// and the wall time of one edit. Each clip is edited at every t_s of the sweep with a prompt naming a new object
/// colour (the edit at the model's t_s is the default edit the other figures compare against), then with a floor
/// prompt, with a reference image, at ω_t = 0 and at ω = 1; every edit of a clip starts from the same noise. The guidance
/// figure reads further clips too, edited only at the default ω and at ω = 1 (<see cref="EvalOptions.GuidanceClips"/>).
/// The text and image edits are also read pixel by pixel against the renderer's true masks, and the text edits against
/// the perfect edit the world renders (<see cref="ClipPixels"/>); the input and the perfect edits are read the same
/// way, as ceilings. Last, what structure is worth to the UNet on the clips' frames (<see cref="StructureWorth"/>).
/// <paramref name="sheetRow"/>, when given, receives one picture per clip (its middle frame, [3, H, 8W]): input | object
/// colour edit | the same with the true mask outlined | perfect object edit | floor colour edit | reference | reference
/// edit | own-frame edit.
/// </summary>
public static class EvalRunner
{
    public static EvalReport Run(ModelFolder model, HeldOutSet set, EvalOptions options, IProgress<EvalProgress>? progress = null,
        Action<Tensor>? sheetRow = null, CancellationToken cancel = default)
    {
        var config = model.Config;
        var clipModel = model.Clip ?? throw new ArgumentException($"Model {config.Name} reads text states (no CLIP image tower, no reference-image edits); eval measures Gen-1 models, which read CLIP image embeddings.");
        var defaults = config.Defaults;
        int steps = options.Steps ?? defaults.Steps, frames = options.Frames, clipCount = options.Clips, guidanceCount = options.TotalClips;
        if (clipCount < 1) throw new ArgumentException($"--clips must be at least 1, got {clipCount}.");
        if (set.Clips.Count < guidanceCount)
            throw new ArgumentException($"the held-out set has {set.Clips.Count} clips; the run needs {guidanceCount}.");
        var levels = options.LevelsFor(config);
        if (frames < 2 || frames > set.Clips.Min(c => c.FrameCount))
            throw new ArgumentException($"--frames {frames} must be in 2..{set.Clips.Min(c => c.FrameCount)} (the held-out clips' length).");
        if (steps < 1) throw new ArgumentException($"--steps {steps} must be at least 1.");

        bool defaultInSweep = levels.Contains(defaults.StructureLevel);
        // Edits, and one step for the structure worth.
        int total = clipCount * (levels.Length + (defaultInSweep ? 5 : 6)) + 2 * (guidanceCount - clipCount) + 1 + 1, done = 0;
        var pipeline = new EditPipeline(model);
        var clock = Stopwatch.StartNew();

        Tensor Edit(Tensor input, EditOptions o, string task)
        {
            var outputs = new List<Tensor>();
            var report = new Reporter(p =>
            {
                double within = p.Stage switch
                {
                    EditProgress.Phase.Denoise => (p.Step - 1 + (double)p.Window / p.Windows) / p.Steps,
                    EditProgress.Phase.Decode => 1,
                    _ => 0,
                };
                progress?.Report(new EvalProgress(done + within, total, task));
            });
            pipeline.Run(() => [input.clone()], o, f => outputs.Add(f.clone().DetachFromDisposeScope()), progress: report, cancel: cancel);
            done++;
            var output = cat(outputs, 0);
            foreach (var t in outputs) t.Dispose();
            return output;
        }

        // One depth estimate for both figures: over the whole frame, and over the object pixels alone.
        (double Frame, double Objects) AbsRel(Tensor frames, Tensor depth, Tensor objects)
        {
            using var estimate = model.Depth.Estimate(frames);
            return (DepthMetrics.AbsRelScaleShiftInvariant(estimate, depth), DepthMetrics.AbsRelScaleShiftInvariant(estimate, depth, region: objects));
        }

        var results = new List<ClipResult>();
        // Each clip's input, kept past its loop's scope for the structure worth, so no clip is decoded twice.
        var inputs = new List<(Tensor Frames, int Seed)>();
        var guidance = new List<GuidanceResult>();
        string? speedPrompt = null;
        // Colours the clip does not already have (objects stand out from their floor, as in training).
        (string Colour, string Prompt) ObjectEdit(int i)
        {
            var scene = set.Clips[i].Scene;
            string colour = ColourPrompts.Target(i, 0, SceneColours(scene));
            return (colour, ColourPrompts.Objects(scene, colour, set.Clips[i].Info.Seed));
        }
        GuidanceResult Guided(int i, string prompt, Tensor atDefault, Tensor unguided) => new(set.Clips[i].Info.Name, set.Clips[i].Info.Seed, prompt,
            PromptConsistency.Measure(clipModel, model.Tokenizer, prompt, atDefault), PromptConsistency.Measure(clipModel, model.Tokenizer, prompt, unguided));
        for (int i = 0; i < clipCount; i++)
        {
            using var scope = NewDisposeScope();
            var clip = set.Clips[i];
            var (info, scene) = (clip.Info, clip.Scene);
            string Task(string what) => $"clip {i + 1}/{clipCount}: {what}";
            var input = clip.LoadFrames().narrow(0, 0, frames);
            inputs.Add((input.clone().DetachFromDisposeScope(), info.Seed));
            var depth = clip.LoadDepth().narrow(0, 0, frames);
            var masks = clip.LoadMasks().narrow(0, 0, frames);
            var objects = masks.ne(0);
            var floor = FloorRegion.Of(info, depth, masks);

            var (objectColour, objectPrompt) = ObjectEdit(i);
            string floorColour = ColourPrompts.Target(i, 4, SceneColours(scene).Append(scene.Background.Color));
            string floorPrompt = ColourPrompts.Floor(scene, floorColour, info.Seed);
            speedPrompt ??= objectPrompt;
            var text = new EditOptions(Prompt: objectPrompt, Steps: steps, Seed: info.Seed);

            var absRel = new SortedDictionary<int, double>();
            Tensor? atDefault = null;
            double objectAbsRel = double.NaN;
            foreach (int level in levels)
            {
                var output = Edit(input, text with { StructureLevel = level }, Task($"t_s = {level}"));
                (absRel[level], double onObjects) = AbsRel(output, depth, objects);
                if (level == 0) objectAbsRel = onObjects;
                if (level == defaults.StructureLevel) atDefault = output;
            }
            atDefault ??= Edit(input, text, Task("default"));
            var floorEdit = Edit(input, new EditOptions(Prompt: floorPrompt, Steps: steps, Seed: info.Seed), Task("floor colour"));
            var reference = set.References[i];
            var referenceFrame = reference.LoadFrames().narrow(0, 0, 1);
            var imageEdit = Edit(input, new EditOptions(Image: referenceFrame, Steps: steps, Seed: info.Seed), Task("reference image"));
            // The baseline is the per-frame model alone: the paper's form at ω_t = 0 still takes content from the video model.
            var perFrame = Edit(input, text with { TemporalGuidance = 0, GuidanceForm = GuidanceForm.Both }, Task("ω_t = 0"));
            var unguided = Edit(input, text with { Guidance = 1 }, Task("ω = 1"));
            var inputAbsRel = AbsRel(input, depth, objects);
            var ownFrame = Edit(input, new EditOptions(Image: input.narrow(0, 0, 1), Steps: steps, Seed: info.Seed), Task("own frame"));
            Tensor roundTrip;
            using (no_grad())
            {
                var video = input.transpose(0, 1).unsqueeze(0);
                roundTrip = model.Autoencoder.DecodeVideo(model.Autoencoder.EncodeVideo(video)).squeeze(0).transpose(0, 1).clamp(-1, 1);
            }

            // Pixel by pixel against the truth: the masks, and the perfect edits the world renders (same scene, camera,
            // motion and light, the asked colours). The input against its own colours and the perfect edits against the
            // asked ones are the ceilings; the renderer redrawing the unedited scene checks that it draws the stored clip.
            string referenceColour = HeldOutSet.ObjectColour(reference.Scene)!;
            string?[] asked = [.. scene.Objects.Select(_ => objectColour)], fromReference = [.. scene.Objects.Select(_ => referenceColour)],
                own = PixelColours.Own(scene);
            var perfectObjects = PerfectEdit.Render(info, ColourPrompts.WithObjects(scene, objectColour), frames, set.AntiAliasing);
            var perfectFloor = PerfectEdit.Render(info, ColourPrompts.WithFloor(scene, floorColour), frames, set.AntiAliasing);
            var pixels = new ClipPixels(
                PixelColours.ObjectShare(atDefault, masks, asked), PixelColours.ObjectIoU(atDefault, masks, asked), PixelColours.Share(floorEdit, floor, floorColour),
                PixelColours.ObjectShare(imageEdit, masks, fromReference), PixelColours.ObjectIoU(imageEdit, masks, fromReference),
                PixelColours.ObjectShare(input, masks, own), PixelColours.ObjectIoU(input, masks, own),
                ColourNaming.IsChromatic(scene.Floor.Color) ? PixelColours.Share(input, floor, scene.Floor.Color) : double.NaN,
                PixelColours.ObjectShare(perfectObjects, masks, asked), PixelColours.ObjectIoU(perfectObjects, masks, asked), PixelColours.Share(perfectFloor, floor, floorColour),
                ImageQuality.Psnr(PerfectEdit.Render(info, scene, frames, set.AntiAliasing), input),
                ImageQuality.Psnr(atDefault, perfectObjects), ImageQuality.Ssim(atDefault, perfectObjects),
                ImageQuality.Psnr(perFrame, perfectObjects), ImageQuality.Ssim(perFrame, perfectObjects),
                ImageQuality.Psnr(floorEdit, perfectFloor), ImageQuality.Ssim(floorEdit, perfectFloor));

            if (sheetRow is not null)
            {
                int middle = frames / 2;
                sheetRow(cat(new[] { input[middle], atDefault[middle], Outlined(atDefault[middle], masks[middle], objectColour), perfectObjects[middle],
                    floorEdit[middle], referenceFrame[0], imageEdit[middle], ownFrame[middle] }, 2));
            }

            results.Add(new ClipResult(info.Name, info.Seed,
                objectPrompt, objectColour, ColourNaming.Nearest(atDefault, objects),
                floorPrompt, floorColour, ColourNaming.Nearest(floorEdit, floor),
                reference.Info.Name, HeldOutSet.ObjectColour(reference.Scene)!, ColourNaming.Nearest(imageEdit, objects),
                ColourNaming.Nearest(input, objects), ColourNaming.Nearest(roundTrip, objects), ColourNaming.Nearest(ownFrame, objects),
                inputAbsRel.Frame, absRel, inputAbsRel.Objects, objectAbsRel,
                FrameConsistency.Measure(clipModel, atDefault), FrameConsistency.Measure(clipModel, perFrame),
                Flicker.Measure(input, atDefault, masks), Flicker.Measure(input, perFrame, masks), pixels));
            guidance.Add(Guided(i, objectPrompt, atDefault, unguided));
        }
        for (int i = clipCount; i < guidanceCount; i++)
        {
            using var scope = NewDisposeScope();
            var input = set.Clips[i].LoadFrames().narrow(0, 0, frames);
            string prompt = ObjectEdit(i).Prompt;
            var text = new EditOptions(Prompt: prompt, Steps: steps, Seed: set.Clips[i].Info.Seed);
            string task = $"guidance clip {i + 1}/{guidanceCount}";
            guidance.Add(Guided(i, prompt, Edit(input, text, $"{task}: default"), Edit(input, text with { Guidance = 1 }, $"{task}: ω = 1")));
        }

        // Speed (issue 5 §4): a warm edit of 16 frames at the model's size with both guidances, at the run's steps (the
        // bar is judged at 20 steps only).
        double editSeconds;
        using (var scope = NewDisposeScope())
        {
            var clip = set.Clips[0];
            var input = clip.LoadFrames().narrow(0, 0, EvalOptions.SpeedFrames);
            var timer = Stopwatch.StartNew();
            Edit(input, new EditOptions(Prompt: speedPrompt, Steps: steps, Seed: clip.Info.Seed), $"speed: {EvalOptions.SpeedFrames} frames, {steps} steps");
            editSeconds = timer.Elapsed.TotalSeconds;
        }

        // What structure is worth to the UNet (issue 17 §1) on the clips' frames, at the model's t_s.
        (double Own, double Other) worth;
        using (var scope = NewDisposeScope())
        {
            progress?.Report(new EvalProgress(done, total, $"structure worth: {clipCount * frames} frames"));
            worth = StructureWorth.Measure(model, inputs, defaults.StructureLevel);
            foreach (var (kept, _) in inputs) kept.Dispose();
            done++;
        }

        var figures = Figures(results, guidance, levels, defaults, editSeconds, steps, config, worth);
        return new EvalReport(figures, results, guidance, frames, steps, levels, defaults.StructureLevel, defaults.Guidance, defaults.TemporalGuidance, defaults.GuidanceForm, clock.Elapsed.TotalSeconds);
    }

    static IEnumerable<string> SceneColours(Synthetic.Scene scene) => scene.Objects.Select(o => o.Color).Append(scene.Floor.Color);

    /// <summary>The frame [3, H, W] with a 1-pixel outline just outside the true objects [H, W], in the complement of the
    /// asked colour so it stands out from an object that took it.</summary>
    static Tensor Outlined(Tensor frame, Tensor masks, string colour)
    {
        var c = Synthetic.Palette.Get(colour);
        var line = tensor(new[] { 1 - c.R, 1 - c.G, 1 - c.B }).to(frame.dtype).view(3, 1, 1) * 2 - 1;
        return where(PixelColours.Outline(masks.unsqueeze(0))[0], line, frame);
    }

    static List<EvalFigure> Figures(List<ClipResult> r, List<GuidanceResult> g, int[] levels, ModelConfig.EditDefaults d, double editSeconds, int steps, ModelConfig config,
        (double Own, double Other) worth)
    {
        static double Mean(IEnumerable<double> values)
        {
            var finite = values.Where(double.IsFinite).ToArray();
            return finite.Length == 0 ? double.NaN : finite.Average();
        }
        double Share(Func<ClipResult, bool> hit) => r.Count(hit) / (double)r.Count;

        var figures = new List<EvalFigure> { new("structure: depth model on the input, SSI AbsRel", Mean(r.Select(c => c.InputAbsRel)), "", null) };
        foreach (int level in levels)
        {
            double v = Mean(r.Select(c => c.AbsRel[level]));
            figures.Add(level == 0
                ? new($"structure: SSI AbsRel at t_s = 0", v, $"≤ {EvalOptions.MaxAbsRel}", v <= EvalOptions.MaxAbsRel)
                : new($"structure: SSI AbsRel at t_s = {level}", v, "", null));
        }
        if (levels.Length > 1)
        {
            double rise = Mean(r.Select(c => c.AbsRel[levels[^1]])) - Mean(r.Select(c => c.AbsRel[0]));
            figures.Add(new($"structure: AbsRel(t_s = {levels[^1]}) − AbsRel(t_s = 0)", rise, "> 0", rise > 0));
        }
        // The objects are a small share of a frame, so the whole-frame error barely notices a depth map without them.
        figures.Add(new("structure: depth model on the input, SSI AbsRel on object pixels", Mean(r.Select(c => c.InputObjectAbsRel)), "", null));
        figures.Add(new("structure: SSI AbsRel on object pixels at t_s = 0", Mean(r.Select(c => c.ObjectAbsRel)), "", null));
        // Whether the UNet reads structure at all, where the layout of a sample is decided (issue 17 §1).
        string measured = config.Parameterization == Diffusion.Parameterization.V ? "z_0 error" : "ε error";
        double worthValue = StructureWorth.Of(worth.Own, worth.Other);
        figures.Add(new($"structure worth: {measured} from pure noise, single frames, own structure at t_s = {d.StructureLevel}", worth.Own, "", null));
        figures.Add(new($"structure worth: {measured} from pure noise, single frames, another clip's structure at t_s = {d.StructureLevel}", worth.Other, "", null));
        figures.Add(new($"structure worth: 1 − own / another clip's, t_s = {d.StructureLevel}", worthValue, $"≥ {EvalOptions.MinStructureWorth}",
            double.IsNaN(worthValue) ? null : worthValue >= EvalOptions.MinStructureWorth));
        double objectHits = Share(c => c.ObjectSeen == c.ObjectColour), floorHits = Share(c => c.FloorSeen == c.FloorColour),
            imageHits = Share(c => c.ReferenceSeen == c.ReferenceColour);
        figures.Add(new("text: object takes the named colour (share of clips)", objectHits, $"≥ {EvalOptions.MinTextHits}", objectHits >= EvalOptions.MinTextHits));
        figures.Add(new("text: floor takes the named colour (share of clips)", floorHits, $"≥ {EvalOptions.MinTextHits}", floorHits >= EvalOptions.MinTextHits));
        figures.Add(new("image: object takes the reference's colour (share of clips)", imageHits, $"≥ {EvalOptions.MinImageHits}", imageHits >= EvalOptions.MinImageHits));
        // Pixel by pixel against the true masks (issue 17 §1): a blob of the asked colour about where the object is passes
        // the mean-colour figures above but not these. Means over clips; the bars hold for the text edits.
        EvalFigure Pixel(string name, Func<ClipPixels, double> value, double? bar)
        {
            double v = Mean(r.Select(c => value(c.Pixels)));
            return bar is double b ? new(name, v, $"≥ {b}", double.IsNaN(v) ? null : v >= b) : new(name, v, "", null);
        }
        static string PixelShare(string colour) => $"pixels in {colour} (share of the eroded true mask)";
        static string IoU(string colour) => $"IoU of the pixels in {colour} and the true mask";
        figures.Add(Pixel($"text: object {PixelShare("the named colour")}", p => p.ObjectShare, EvalOptions.MinObjectShare));
        figures.Add(Pixel($"text: object {IoU("the named colour")}", p => p.ObjectIou, EvalOptions.MinObjectIoU));
        figures.Add(Pixel("text: floor pixels in the named colour (share of the floor)", p => p.FloorShare, EvalOptions.MinFloorShare));
        figures.Add(Pixel($"image: object {PixelShare("the reference's colour")}", p => p.ReferenceShare, null));
        figures.Add(Pixel($"image: object {IoU("the reference's colour")}", p => p.ReferenceIou, null));
        figures.Add(Pixel($"input: object {PixelShare("their own colour")}", p => p.InputObjectShare, null));
        figures.Add(Pixel($"input: object {IoU("their own colour")}", p => p.InputObjectIou, null));
        figures.Add(Pixel("input: floor pixels in its own colour (share of the floor)", p => p.InputFloorShare, null));
        figures.Add(Pixel($"perfect edit: object {PixelShare("the named colour")}", p => p.PerfectObjectShare, null));
        figures.Add(Pixel($"perfect edit: object {IoU("the named colour")}", p => p.PerfectObjectIou, null));
        figures.Add(Pixel("perfect edit: floor pixels in the named colour (share of the floor)", p => p.PerfectFloorShare, null));
        figures.Add(Pixel("perfect edit: the renderer redrawing the unedited scene, PSNR (dB) against the input", p => p.RerenderPsnr, null));
        figures.Add(Pixel("text: object edit against the perfect edit, PSNR (dB)", p => p.ObjectPsnr, null));
        figures.Add(Pixel("text: object edit against the perfect edit, SSIM (RGB)", p => p.ObjectSsim, null));
        figures.Add(Pixel("text: object edit at ω_t = 0 against the perfect edit, PSNR (dB)", p => p.PerFramePsnr, null));
        figures.Add(Pixel("text: object edit at ω_t = 0 against the perfect edit, SSIM (RGB)", p => p.PerFrameSsim, null));
        figures.Add(Pixel("text: floor edit against the perfect edit, PSNR (dB)", p => p.FloorPsnr, null));
        figures.Add(Pixel("text: floor edit against the perfect edit, SSIM (RGB)", p => p.FloorSsim, null));
        // Where an object's colour is lost: the autoencoder's round trip bounds every content figure, and an edit with
        // the clip's own first frame as reference asks the UNet only to redraw what it sees.
        var named = r.Where(c => c.InputObjectSeen is not null).ToArray();
        double Kept(Func<ClipResult, string?> seen) => named.Length == 0 ? double.NaN : named.Count(c => seen(c) == c.InputObjectSeen) / (double)named.Length;
        figures.Add(new("content: object keeps its colour through the autoencoder (share of clips)", Kept(c => c.RoundTripSeen), "", null));
        figures.Add(new("content: object keeps its colour, own first frame as reference (share of clips)", Kept(c => c.OwnFrameSeen), "", null));

        double fc = Mean(r.Select(c => c.FrameConsistency)), fc0 = Mean(r.Select(c => c.FrameConsistencyPerFrame));
        double fl = Mean(r.Select(c => c.Flicker)), fl0 = Mean(r.Select(c => c.FlickerPerFrame));
        // Comparisons are figures of their own (differences), so a gain too small for three decimals still shows.
        figures.Add(new("temporal: frame consistency, ω_t = 0", fc0, "", null));
        figures.Add(new($"temporal: frame consistency, ω_t = {d.TemporalGuidance}", fc, "", null));
        figures.Add(new($"temporal: frame consistency gain, ω_t = {d.TemporalGuidance} over 0", fc - fc0, "> 0", fc > fc0));
        figures.Add(new("temporal: flicker on static background, ω_t = 0", fl0, "", null));
        figures.Add(new($"temporal: flicker on static background, ω_t = {d.TemporalGuidance}", fl, "", null));
        figures.Add(new($"temporal: flicker reduction, ω_t = {d.TemporalGuidance} over 0", fl0 - fl, "> 0", fl < fl0));
        // A paired difference of two samples per clip: its spread is of the order of the effect, so the gain must clear
        // twice its standard error to count as a rise (a stricter reading of "rises" than > 0, never a looser one).
        double gain = Mean(g.Select(c => c.Gain));
        double error = g.Count < 2 ? double.NaN : Math.Sqrt(g.Sum(c => (c.Gain - gain) * (c.Gain - gain)) / (g.Count - 1) / g.Count);
        figures.Add(new("guidance: prompt consistency, ω = 1", Mean(g.Select(c => c.PromptConsistencyUnguided)), "", null));
        figures.Add(new($"guidance: prompt consistency, ω = {d.Guidance}", Mean(g.Select(c => c.PromptConsistency)), "", null));
        figures.Add(new($"guidance: prompt consistency gain, ω = {d.Guidance} over 1", gain, "> 2 s.e.", double.IsNaN(error) ? null : gain > 2 * error));
        figures.Add(new("guidance: standard error of the gain", error, "", null));
        figures.Add(new("guidance: clips whose prompt consistency rises (share)", g.Count(c => c.Gain > 0) / (double)g.Count, "", null));
        bool barSteps = steps == EvalOptions.SpeedSteps;
        figures.Add(new($"speed: edit wall time (s), {EvalOptions.SpeedFrames} frames of {config.Width}×{config.Height}, {steps} steps",
            editSeconds, $"≤ {EvalOptions.MaxEditSeconds}{(barSteps ? "" : $" at {EvalOptions.SpeedSteps} steps")}", barSteps ? editSeconds <= EvalOptions.MaxEditSeconds : null));
        return figures;
    }

    sealed class Reporter(Action<EditProgress> report) : IProgress<EditProgress>
    {
        public void Report(EditProgress value) => report(value);
    }
}
