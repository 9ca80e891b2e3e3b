using System.Diagnostics;
using Vidiff.Checkpoints;
using Vidiff.Diffusion;
using Vidiff.Evaluation;
using Vidiff.Structure;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// The spatio-temporal UNet of paper §2 on the trained autoencoder's scaled latents, jointly on images and clips.
/// Structure (§3): the trained depth model's estimate (as the paper uses MiDaS estimates, not true depth), obscured to
/// a level t_s drawn uniformly from [0, T_s] per sample. Content (§4): the L2-normalised CLIP image embedding of a random
/// frame of the clip, the all-zero null embedding with probability 0.1. The paper's L2 objective on the model's
/// parameterization (v by default, §1), optionally min-SNR-γ weighted.
/// </summary>
public static class UnetStage
{
    public const string Name = "unet", InputsFile = "inputs.safetensors";

    public static StageResult Run(StageContext ctx, UnetSettings settings)
    {
        var clock = Stopwatch.StartNew();
        var config = ctx.ReadConfig();
        if (settings.FreezeSpatial) settings = settings with { ImageShare = 0 };
        AutoencoderStage.CheckSize(ctx.Data, config);
        using var inputs = UnetInputs.LoadOrCompute(ctx, config);
        var schedule = config.Schedule.Create();
        using var run = ctx.Run(Name, () => Start(config.Unet, settings));
        double last = StageContext.Loop(run, () => Loss(run.Model, run.Dtype, run.RandomForStep(), ctx.Data, inputs, schedule, config.Parameterization, settings, ctx.Options.BatchSize));
        ctx.Export(run.Ema, ModelFolder.UnetFile);
        // Trained temporal layers: edits no longer default to cross-frame attention.
        if (run.Step > 0 && !config.TemporalLayersTrained) ctx.WriteConfig(ctx.ReadConfig() with { TemporalLayersTrained = true });
        // A signal asks for a prompt stop: the figures take minutes on 2 cores, and a second signal would lose the checkpoint.
        string? figures = null;
        if (!ctx.Cancel.IsCancellationRequested)
        {
            // A run from an earlier model's UNet also measures that start, so the figure shows what the run gained.
            using var start = settings.Init is null ? null : Start(config.Unet, settings);
            figures = HeldOutFigures(run.Ema, ctx.Data, inputs, schedule, config.Parameterization, settings, ctx.Options.BatchSize, start);
        }
        return ctx.Finish(run, Name, last, clock, figures);
    }

    /// <summary>A fresh UNet, or one holding <see cref="UnetSettings.Init"/>'s weights where the file has them (the structure
    /// convolutions a file of a UNet without them lacks stay at their zero start); all but its temporal layers frozen
    /// with <see cref="UnetSettings.FreezeSpatial"/>.</summary>
    static SpatioTemporalUnet Start(UnetConfig config, UnetSettings settings)
    {
        var unet = new SpatioTemporalUnet(config);
        if (settings.FreezeSpatial)
            foreach (var (name, p) in unet.named_parameters())
                p.requires_grad = SpatioTemporalUnet.IsTemporal(name);
        if (settings.Init is not { } init) return unet;
        if (!File.Exists(init)) throw new FileNotFoundException($"--init {init} does not exist; expected a UNet weights file (a model folder's unet.safetensors).", init);
        using var file = new SafetensorsFile(init);
        var lacking = unet.state_dict().Keys.Where(k => !file.Keys.Contains(k) && !k.StartsWith("structure_convs.", StringComparison.Ordinal)).ToList();
        if (lacking.Count > 0 || file.Keys.Any(k => !unet.state_dict().ContainsKey(k)))
            throw new CheckpointMismatchException($"--init {init} is not a UNet of this model's config ({lacking.Count} of its weights missing, e.g. {string.Join(", ", lacking.Take(3))}).");
        ModuleWeights.Load(unet, init, strict: false);
        return unet;
    }

    /// <summary>
    /// The EMA weights on the same 32 held-out batches at every stop: the loss at random timesteps, and the z_0 error from
    /// pure noise (t = T − 1, where sampling starts; there the v error is the z_0 error), the prediction the whole sample
    /// is built on. Predicting 0 would score the latents' mean square, about 1. Then what structure is worth there
    /// (<see cref="StructureWorth"/>, the definition <c>vidiff eval</c> shares): the same error on single frames, with
    /// each frame's own structure and with another frame's, and 1 − own / other. With <paramref name="start"/> (the
    /// weights a run from <see cref="UnetSettings.Init"/> started from), also its held-out loss on the same batches.
    /// </summary>
    public static string HeldOutFigures(SpatioTemporalUnet model, TrainingData data, UnetInputs inputs, NoiseSchedule schedule,
        Parameterization parameterization, UnetSettings settings, int batch, SpatioTemporalUnet? start = null)
    {
        if (data.HeldOutClips.Length == 0) return "no held-out clips";
        model.eval();
        start?.eval();
        double Mean(long? t, bool images = false, bool otherStructure = false, SpatioTemporalUnet? of = null) => FixedBatchLoss(of ?? model, 32, data, inputs, schedule, parameterization,
            // The paper's sampling (t and t_s uniform, the frame's own content) whatever the run's, so figures compare across runs.
            settings with { MinSnrGamma = t is null ? settings.MinSnrGamma : null, ImageShare = images ? 1 : settings.ImageShare, MaxStructureLevel = null, HighNoiseShare = 0, MirroredContentShare = 0 }, batch,
            heldOut: true, timestep: t, otherStructure: otherStructure);
        long last = StructureWorth.Timestep(schedule);
        var figures = FormattableString.Invariant($"held-out loss {Mean(null):F4}{(start is null ? "" : FormattableString.Invariant($" ({Mean(null, of: start):F4} at the start)"))}, z_0 MSE from pure noise {Mean(last):F4}");
        // Single frames skip the temporal layers, so with the spatial weights frozen their figures are the start's.
        if (!settings.FreezeSpatial)
        {
            double own = Mean(last, images: true), other = Mean(last, images: true, otherStructure: true);
            figures += FormattableString.Invariant($"; on single frames {own:F4}, with another frame's structure {other:F4}, structure worth {StructureWorth.Of(own, other):F3}");
        }
        model.train();
        return figures;
    }

    /// <summary>
    /// The mean loss over batches 0 … <paramref name="count"/> − 1, each drawn with generators seeded by its number: the same
    /// batches on every call, so two sets of weights can be compared on them.
    /// </summary>
    public static double FixedBatchLoss(SpatioTemporalUnet model, int count, TrainingData data, UnetInputs inputs, NoiseSchedule schedule,
        Parameterization parameterization, UnetSettings settings, int batch, bool heldOut = false, long? timestep = null, bool otherStructure = false)
    {
        using var _ = no_grad();
        var dtype = model.parameters().First().dtype;
        return Enumerable.Range(0, count).Average(k =>
        {
            using var scope = NewDisposeScope();
            return Loss(model, dtype, (new Generator((ulong)k), new Random(k)), data, inputs, schedule, parameterization, settings, batch,
                heldOut, timestep, otherStructure).item<float>();
        });
    }

    /// <summary>
    /// One batch: with probability ImageShare, <paramref name="batch"/> single frames of distinct clips; otherwise
    /// ⌊batch / F⌋ (at least one) windows of F consecutive frames, F drawn per step, so each step sees about
    /// <paramref name="batch"/> frames. Everything random comes from <paramref name="random"/>, so a batch can be drawn
    /// again to compare two sets of weights on it. <paramref name="otherStructure"/> gives each sample the structure of the
    /// previous one in the batch (<see cref="StructureWorth.Swapped"/>; a batch of one keeps its own).
    /// </summary>
    public static Tensor Loss(SpatioTemporalUnet model, ScalarType dtype, (Generator Torch, Random Data) random, TrainingData data,
        UnetInputs inputs, NoiseSchedule schedule, Parameterization parameterization, UnetSettings settings, int batch,
        bool heldOut = false, long? timestep = null, bool otherStructure = false)
    {
        var (g, rng) = random;
        int longest = (heldOut ? data.HeldOutClips : data.TrainingClips).Max(data.FrameCount);
        int maxFrames = Math.Min(Math.Min(settings.MaxFrames, model.Config.MaxFrames), longest);
        int frames = rng.NextDouble() < settings.ImageShare ? 1 : rng.Next(Math.Min(settings.MinFrames, maxFrames), maxFrames + 1);
        var eligible = data.ClipsWithAtLeast(frames, heldOut);
        if (eligible.Length == 0)
            throw new InvalidDataException($"No {(heldOut ? "held-out" : "training")} clip has {frames} frames; lower the clip length or make a data set with longer clips.");
        int n = frames == 1 ? batch : Math.Max(1, batch / frames);
        var clips = Enumerable.Range(0, n).Select(i => eligible[rng.Next(eligible.Length)]).ToArray();
        var windows = clips.Select(c => data.RandomWindow(rng, c, frames)).ToArray();
        long h = inputs.Latents.shape[2], w = inputs.Latents.shape[3];

        var z0 = stack(windows.Select(f => inputs.Latents.index_select(0, tensor(f)).to(ScalarType.Float32).transpose(0, 1)));
        var structure = cat(windows.Select(f =>
            StructureEncoder.Encode(inputs.Disparity.index_select(0, tensor(f)).to(ScalarType.Float32), rng.Next((settings.MaxStructureLevel ?? StructureEncoder.MaxLevel) + 1), h, w)).ToList(), 0);
        if (otherStructure) structure = StructureWorth.Swapped(structure);
        Tensor content;
        if (inputs.NullContent is { } none) content = none.expand(n, -1, -1);
        else
        {
            var contentFrames = tensor(data.RandomFrameOf(rng, clips));
            content = inputs.ImageEmbeds.index_select(0, contentFrames);
            if (settings.MirroredContentShare > 0)
                content = where(rand([n, 1], generator: g).lt(settings.MirroredContentShare), inputs.MirroredEmbeds.index_select(0, contentFrames), content);
            content = content.unsqueeze(1);
            var keep = rand([n], generator: g).ge(settings.ContentDrop).to(ScalarType.Float32).view(n, 1, 1);
            content = content * keep;
        }

        var t = timestep is long fixedT ? full([n], fixedT, ScalarType.Int64) : randint(0, schedule.T, [n], generator: g);
        if (timestep is null && settings.HighNoiseShare > 0)
        {
            var high = rand([n], generator: g).lt(settings.HighNoiseShare);
            t = where(high, randint(schedule.T - schedule.T / 10, schedule.T, [n], generator: g), t);
        }
        var eps = randn(z0.shape, generator: g);
        var zt = schedule.AddNoise(z0, eps, t);
        // The batch is drawn in CPU memory, where the cached inputs are, and crosses to the network's device here.
        var device = model.parameters().First().device;
        var output = model.forward(zt.to(dtype, device), structure.to(dtype, device), t.to(device), content.to(dtype, device)).to(ScalarType.Float32);
        return DiffusionLoss.Compute(schedule, parameterization, output, z0.to(device), eps.to(device), t.to(device), settings.MinSnrGamma);
    }
}
