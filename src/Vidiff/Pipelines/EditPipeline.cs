using System.Diagnostics;
using TorchSharp;
using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Diffusion;
using Vidiff.Prior;
using Vidiff.Structure;
using Vidiff.Unet;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Pipelines;

/// <summary>
/// Video in, video out: Gen-1's inference (paper §3–§5, design.md "Data flow of an edit"), top to bottom in
/// <see cref="Run"/>. Memory is bounded by the window and the read chunk, not the clip: frames are streamed twice at
/// most (structure; the preview), and only latent-size tensors of the whole clip are kept. Everything runs on the
/// model's device; frames cross to it as they are read and back to the CPU as they are written, and nothing else does.
/// </summary>
public sealed class EditPipeline(ModelFolder model)
{
    public ModelFolder Model { get; } = model;

    /// <summary>
    /// Edits a clip. <paramref name="readFrames"/> yields the (already fitted) input as chunks [n, 3, H, W] in [-1, 1],
    /// H and W multiples of the latent stride; it is called once, or twice with a preview, and each chunk is disposed
    /// once used, so only one is held at a time. <paramref name="write"/> gets the output in the same chunks;
    /// <paramref name="writePreview"/>, if given, the strip input | depth | structure at t_s | output [n, 3, H, 4W].
    /// Cancellation is checked before every window of every step. Returns the number of frames written.
    /// </summary>
    public int Run(Func<IEnumerable<Tensor>> readFrames, EditOptions options, Action<Tensor> write, Action<Tensor>? writePreview = null,
        IProgress<EditProgress>? progress = null, CancellationToken cancel = default)
    {
        options = options.Resolve(Model.Config);
        using var noGrad = no_grad();
        var clock = Stopwatch.StartNew();
        void Report(EditProgress.Phase phase, int frames, int step = 0, int steps = 0, int window = 0, int windows = 0, TimeSpan? remaining = null) =>
            progress?.Report(new EditProgress(phase, frames, step, steps, window, windows, clock.Elapsed, remaining));

        // Structure (paper §3): depth of every frame → obscured to level t_s → latent size → normalised per clip.
        var (structure, chunks, depthRange) = EncodeStructure(readFrames, options.StructureLevel!.Value, frames => Report(EditProgress.Phase.Structure, frames), cancel);
        using var _ = structure;
        int frameCount = (int)structure.shape[2];

        // Content (paper §4): the CLIP image embedding of the reference image, or of the prompt through the prior (a
        // text-state model: the prompt's text hidden states). A negative replaces the null content of classifier-free
        // guidance (paper §5).
        Report(EditProgress.Phase.Content, frameCount);
        using var content = Content(options.Prompt, options.Image, options.Seed);
        using var unconditional = options.NegativePrompt is not null || options.NegativeImage is not null
            ? Content(options.NegativePrompt, options.NegativeImage, options.Seed)
            : NullContent();

        // Noise z_T ~ N(0, I) for the whole clip, from the seed alone, a share of it common to every frame if asked: drawn
        // on the CPU, whose generator gives the same numbers everywhere, so a seed gives the same video on any device.
        var latentChannels = Model.Config.Autoencoder.LatentChannels;
        using var generator = new Generator((ulong)options.Seed);
        using var cpuNoise = SharedNoise.Sample([1, latentChannels, frameCount, structure.shape[3], structure.shape[4]], options.SharedNoise, generator);
        using var noise = cpuNoise.to(Model.Device);

        // Reverse process (paper §1) with both guidances (paper §5), the clip's windows averaged at every step; with
        // cross-frame attention each window's frames also attend to its anchor frames.
        var plan = FrameWindows.Plan(frameCount, Model.Config.WindowFrames, Model.Config.WindowOverlap);
        var schedule = Model.Config.Schedule.Create();
        Sampler sampler = options.Sampler switch
        {
            ModelConfig.SamplerKind.Dpmpp => new DpmSolverPlusPlus2M(schedule, Model.Config.Parameterization),
            _ => new DdimSampler(schedule, Model.Config.Parameterization),
        };
        int steps = options.Steps!.Value, stepsDone = 0;
        var denoiseClock = Stopwatch.StartNew();
        var denoiser = Windowed(Model.Unet, plan, structure, content, unconditional, options.Guidance!.Value, options.TemporalGuidance!.Value, options.GuidanceForm!.Value, options.CrossFrame!.Value, (window, windows) =>
        {
            double done = stepsDone + (double)window / windows;
            var remaining = TimeSpan.FromSeconds(denoiseClock.Elapsed.TotalSeconds / done * (steps - done));
            Report(EditProgress.Phase.Denoise, frameCount, stepsDone + 1, steps, window, windows, remaining);
        }, cancel);
        using var z0 = sampler.Sample(denoiser, noise, steps, onStep: (done, _) => stepsDone = done, cancel: cancel);

        // Decode (paper §1) frame by frame, written in the input's chunks.
        var inputs = writePreview is null ? null : readFrames().GetEnumerator();
        try
        {
            int start = 0;
            foreach (int n in chunks)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var frames = Model.Autoencoder.DecodeVideo(z0.narrow(2, start, n)).squeeze(0).transpose(0, 1).clamp(-1, 1);
                write(frames.cpu());
                if (inputs is not null && writePreview is not null)
                {
                    if (!inputs.MoveNext()) throw new InvalidOperationException("The input gave fewer frames on the second read than on the first.");
                    using var input = inputs.Current;
                    writePreview(Preview(input.to(Model.Device), structure.narrow(2, start, n), depthRange, frames).cpu());
                }
                start += n;
                Report(EditProgress.Phase.Decode, start);
            }
            return frameCount;
        }
        finally
        {
            inputs?.Dispose();
        }
    }

    /// <summary>
    /// s [1, 1, F, h, w] for the whole clip from streamed chunks, with the chunk sizes and the raw depth range.
    /// StructureEncoder.Encode normalises first, but its blur and area resize are linear and keep constants, so
    /// normalising after them with the clip's raw min and max gives the same s while only latent-size maps are kept.
    /// </summary>
    internal (Tensor Structure, List<int> Chunks, (double Min, double Max) Range) EncodeStructure(Func<IEnumerable<Tensor>> readFrames, int ts, Action<int> onFrames, CancellationToken cancel)
    {
        using var scope = NewDisposeScope();
        var latents = new List<Tensor>();
        var chunks = new List<int>();
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        int stride = Model.Config.Autoencoder.Stride, frames = 0;
        onFrames(0);
        foreach (var chunk in readFrames())
        {
            using var _ = chunk;
            cancel.ThrowIfCancellationRequested();
            CheckFrames(chunk, stride);
            using var inner = NewDisposeScope();
            var depth = Model.Depth.forward(chunk.to(Model.Device)).to(float32);
            min = Math.Min(min, depth.min().item<float>());
            max = Math.Max(max, depth.max().item<float>());
            var obscured = StructureEncoder.Obscure(depth, ts);
            latents.Add(StructureEncoder.ToLatent(obscured, chunk.shape[2] / stride, chunk.shape[3] / stride).MoveToOuterDisposeScope());
            chunks.Add((int)chunk.shape[0]);
            onFrames(frames += (int)chunk.shape[0]);
        }
        if (frames == 0) throw new InvalidDataException("The input has no frames.");
        var s = NormalizeDepth(cat(latents, 0), min, max);
        return (s.permute(1, 0, 2, 3).unsqueeze(0).MoveToOuterDisposeScope(), chunks, (min, max));
    }

    /// <summary>StructureEncoder.Normalize with a given range: to [−1, 1], a constant clip to 0.</summary>
    static Tensor NormalizeDepth(Tensor depth, double min, double max) =>
        max > min ? 2 * (depth - min) / (max - min) - 1 : zeros_like(depth);

    /// <summary>
    /// The sampler's view of the whole clip: at every step each window's guided prediction, weighted by the window
    /// plan so the weights sum to one at every frame (MultiDiffusion-style; FrameWindows). The sampler thus steps the
    /// whole clip at once and neighbouring windows agree on their overlap, so there is no seam. Cross-frame attention
    /// anchors every pass of a window, video and per frame, conditional and not, to the same frames of the window. One
    /// call is one sampler step's network work (`vidiff bench --edit-step` times it).
    /// </summary>
    public static Denoiser Windowed(SpatioTemporalUnet unet, FrameWindows plan, Tensor structure, Tensor content, Tensor unconditional, double guidance, double temporalGuidance,
        GuidanceForm form, CrossFrameAttention crossFrame, Action<int, int> onWindow, CancellationToken cancel) => (zt, t) =>
    {
        using var scope = NewDisposeScope();
        var prediction = zeros_like(zt);
        for (int w = 0; w < plan.Windows.Count; w++)
        {
            cancel.ThrowIfCancellationRequested();
            using var inner = NewDisposeScope();
            var window = plan.Windows[w];
            var s = structure.narrow(2, window.Start, window.Length);
            var anchors = crossFrame == CrossFrameAttention.Anchor ? plan.Anchors(w) : null;
            VideoDenoiser network = (z, time, c, perFrame) => unet.forward(z, s.expand(z.shape[0], -1, -1, -1, -1), time, c, perFrame, anchors);
            var guided = Guidance.Combine(network, content, unconditional, guidance, temporalGuidance, form)(zt.narrow(2, window.Start, window.Length), t);
            var weights = tensor(window.Weights, device: zt.device).view(1, 1, -1, 1, 1);
            prediction.narrow(2, window.Start, window.Length).add_(guided * weights);
            onWindow(w + 1, plan.Windows.Count);
        }
        return prediction.MoveToOuterDisposeScope();
    };

    /// <summary>
    /// The content c [1, 1, D] (paper §4): a reference image's CLIP image embedding, or a prompt's CLIP text embedding
    /// mapped to an image embedding by the prior. L2-normalised (our choice): CLIP's space is one of directions, and a
    /// unit length keeps the prior's and the vision tower's embeddings on one scale; training must condition the same way.
    /// </summary>
    public Tensor Content(string? prompt, Tensor? image, long seed)
    {
        CheckContent(Model.Config.Name, Model.Config.Content, image is not null);
        if (Model.Config.Content == ModelConfig.ContentKind.TextStates)
            return TextStates(prompt ?? throw new ArgumentException("Content needs a prompt or an image."));
        using var scope = NewDisposeScope();
        Tensor embedding;
        if (image is not null)
            embedding = Model.Clip!.EncodeImage(image.to(Model.Device)).to(float32);
        else if (prompt is not null)
        {
            var (ids, mask) = Tokenize(prompt);
            var text = Model.Text.forward(ids);
            using var generator = new Generator((ulong)seed);
            embedding = BuildPrior().Sample(text.TextEmbeds, text.LastHiddenState, generator, mask).to(float32);
        }
        else throw new ArgumentException("Content needs a prompt or an image.");
        return ClipModel.Normalize(embedding).unsqueeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>A text-state model takes prompts only: it has no CLIP image tower, and its UNet never saw image embeddings.</summary>
    public static void CheckContent(string model, ModelConfig.ContentKind content, bool image)
    {
        if (image && content == ModelConfig.ContentKind.TextStates)
            throw new ArgumentException($"Model {model} reads text (its UNet cross-attends to CLIP text hidden states, as published), so it takes a prompt, not a reference image.");
    }

    /// <summary>
    /// ∅ of classifier-free guidance (paper §5): all-zero content [1, 1, D], as Gen-1 drops content in training; for a
    /// text-state model the empty prompt's hidden states [1, T, D], as published text-to-image models are trained.
    /// </summary>
    public Tensor NullContent() => Model.Config.Content == ModelConfig.ContentKind.TextStates
        ? TextStates("")
        : zeros(1, 1, Model.Config.Unet.ContentDim, device: Model.Device);

    Tensor TextStates(string prompt) => TextStates(Model.Text, Model.Tokenizer, Model.Config.Clip.Text.MaxPositionEmbeddings, prompt);

    /// <summary>
    /// A prompt's CLIP text hidden states [1, <paramref name="length"/>, D] after the final layer norm: the content of a
    /// text-state model. SD 1.x reads the last layer; SD 2.x the penultimate, which its diffusers text_encoder/ holds as
    /// its last (one layer cut). Also the UNet stage's null content, from the text tower alone.
    /// </summary>
    public static Tensor TextStates(ClipTextModel text, ClipTokenizer tokenizer, int length, string prompt)
    {
        using var noGrad = no_grad(); // content is an input, also where a caller trains (the UNet stage on a text-state model)
        using var scope = NewDisposeScope();
        var device = text.parameters().First().device;
        using var ids = tensor(tokenizer.Encode(prompt, length).Select(id => (long)id).ToArray(), device: device).unsqueeze(0);
        return text.forward(ids).LastHiddenState.to(float32).MoveToOuterDisposeScope();
    }

    IPrior BuildPrior()
    {
        if (Model.Prior is RegressionPrior regression) return regression;
        // unCLIP's prior guides against the empty prompt's text encoding.
        var (ids, mask) = Tokenize("");
        var empty = Model.Text.forward(ids);
        return new DiffusionPrior((PriorTransformer)Model.Prior!, empty.TextEmbeds, empty.LastHiddenState, mask);
    }

    /// <summary>Token ids [1, T] at the text tower's length (start, tokens, end, padding) and the mask of real tokens.</summary>
    (Tensor Ids, Tensor Mask) Tokenize(string text)
    {
        int length = Model.Config.Clip.Text.MaxPositionEmbeddings;
        var ids = Model.Tokenizer.Encode(text, length).Select(id => (long)id).ToArray();
        int real = Math.Min(Model.Tokenizer.Tokenize(text).Count, length - 2) + 2;
        return (tensor(ids, device: Model.Device).unsqueeze(0), tensor(Enumerable.Range(0, length).Select(i => i < real).ToArray(), device: Model.Device).unsqueeze(0));
    }

    /// <summary>
    /// Per-clip normalised depth of every frame, for <c>vidiff depth</c>: one pass for the clip's range, one to write
    /// [n, 1, H, W] in [0, 1] (larger = nearer), so memory stays bounded by a chunk.
    /// </summary>
    public int EstimateDepth(Func<IEnumerable<Tensor>> readFrames, Action<Tensor> write, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        using var noGrad = no_grad();
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        int frames = 0;
        foreach (var chunk in readFrames())
        {
            using var _ = chunk;
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var depth = Model.Depth.forward(chunk.to(Model.Device));
            min = Math.Min(min, depth.min().to(float32).item<float>());
            max = Math.Max(max, depth.max().to(float32).item<float>());
            frames += (int)chunk.shape[0];
            progress?.Report(frames);
        }
        if (frames == 0) throw new InvalidDataException("The input has no frames.");
        int written = 0;
        foreach (var chunk in readFrames())
        {
            using var _ = chunk;
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var depth = Model.Depth.forward(chunk.to(Model.Device)).to(float32);
            write(((NormalizeDepth(depth, min, max) + 1) / 2).cpu());
            written += (int)chunk.shape[0];
            progress?.Report(frames + written);
        }
        return written;
    }

    /// <summary>input | depth | structure at t_s | output, side by side: [n, 3, H, 4W] in [−1, 1].</summary>
    Tensor Preview(Tensor input, Tensor structure, (double Min, double Max) range, Tensor output)
    {
        using var scope = NewDisposeScope();
        long h = input.shape[2], w = input.shape[3];
        var depth = NormalizeDepth(Model.Depth.forward(input).to(float32), range.Min, range.Max);
        var s = F.interpolate(structure.squeeze(0).transpose(0, 1), [h, w], mode: InterpolationMode.Nearest);
        return cat([input.to(float32), ColourDepth(depth), s.expand(-1, 3, -1, -1), output], 3).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Depth [n, 1, H, W] in [−1, 1] (−1 far, 1 near) to RGB [n, 3, H, W] in [−1, 1] with the Turbo colour map
    /// (Mikhaylov's polynomial fit), so near and far read at a glance.
    /// </summary>
    public static Tensor ColourDepth(Tensor depth)
    {
        using var scope = NewDisposeScope();
        var x = ((depth.to(float32) + 1) / 2).clamp(0, 1);
        Tensor Poly(double[] c)
        {
            var y = full_like(x, c[^1]);
            for (int i = c.Length - 2; i >= 0; i--) y = y * x + c[i];
            return y.clamp(0, 1);
        }
        var r = Poly([0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943]);
        var g = Poly([0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604]);
        var b = Poly([0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]);
        return (cat([r, g, b], 1) * 2 - 1).MoveToOuterDisposeScope();
    }

    static void CheckFrames(Tensor chunk, int stride)
    {
        if (chunk.dim() != 4 || chunk.shape[1] != 3 || chunk.shape[2] % stride != 0 || chunk.shape[3] % stride != 0)
            throw new ArgumentException($"Frames have shape [{string.Join(", ", chunk.shape)}]; expected [n, 3, H, W] with H and W multiples of the latent stride {stride}.");
    }
}
