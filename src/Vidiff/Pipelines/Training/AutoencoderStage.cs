using System.Diagnostics;
using System.Globalization;
using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// The KL autoencoder of paper §1, trained on single frames: L1 reconstruction plus a small KL term toward N(0, I)
/// (latent diffusion's weight 1e-6 on summed KL against summed reconstruction error). No perceptual or adversarial
/// term: there is no pretrained network for a perceptual loss here, and at 64×64 on this world L1 already reaches a
/// PSNR the diffusion stage cannot see past. Afterwards the latent scaling factor (1/std of latents) goes into vidiff.json.
/// </summary>
public static class AutoencoderStage
{
    public const string Name = "autoencoder";
    public const double KlWeight = 1e-6;

    public static StageResult Run(StageContext ctx)
    {
        var clock = Stopwatch.StartNew();
        var config = ctx.ReadConfig();
        CheckSize(ctx.Data, config);
        using var run = ctx.Run(Name, () => new AutoencoderKL(config.Autoencoder));
        double last = StageContext.Loop(run, () => Loss(run, ctx.Data, ctx.Options.BatchSize));

        double scale = ScalingFactor(run.Ema, ctx.Data, new Random((int)ctx.Options.Seed));
        double psnr = HeldOutPsnr(run.Ema, ctx.Data);
        ctx.WriteConfig(config with { Autoencoder = config.Autoencoder with { ScalingFactor = scale } });
        ctx.Export(run.Ema, ModelFolder.AutoencoderFile);
        return ctx.Finish(run, Name, last, clock, string.Create(CultureInfo.InvariantCulture, $"scaling factor {scale:G4}, held-out PSNR {psnr:F1} dB"));
    }

    /// <summary>L1(x, D(z)) + KlWeight · KL(q(z|x) ‖ N(0, I)), both summed per image and divided by its pixel count.</summary>
    public static Tensor Loss(TrainingRun<AutoencoderKL> run, TrainingData data, int batch)
    {
        var (g, rng) = run.RandomForStep();
        var x = data.Pixels(data.RandomFrameOf(rng, data.RandomClips(rng, batch))).to(run.Dtype);
        var (mean, logVar) = run.Model.Encode(x);
        var z = mean + (0.5 * logVar).exp() * randn(mean.shape, mean.dtype, generator: g).to(mean.device);
        var reconstruction = run.Model.Decode(z);
        var l1 = (reconstruction - x).abs().to(ScalarType.Float32).mean();
        var kl = 0.5 * (mean.square() + logVar.exp() - 1 - logVar).to(ScalarType.Float32).sum() / x.numel();
        return l1 + KlWeight * kl;
    }

    /// <summary>1/std of sampled latents over up to 512 training frames (latent diffusion's scale_factor), so z·scale has unit variance.</summary>
    public static double ScalingFactor(AutoencoderKL model, TrainingData data, Random rng)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var frames = data.RandomFrameOf(rng, data.RandomClips(rng, Math.Min(512, data.TrainingClips.Length)));
        var latents = new List<Tensor>();
        foreach (var chunk in frames.Chunk(64))
        {
            var (mean, logVar) = model.Encode(data.Pixels(chunk));
            latents.Add(mean + (0.5 * logVar).exp() * randn_like(mean));
        }
        return 1 / cat(latents, 0).std().item<float>();
    }

    /// <summary>PSNR of the posterior-mean reconstruction of the first frame of each held-out clip (pixels in [0, 1]).</summary>
    public static double HeldOutPsnr(AutoencoderKL model, TrainingData data)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var frames = data.HeldOutClips.Select(c => data.ClipStart[c]).ToArray();
        if (frames.Length == 0) return double.NaN;
        var x = data.Pixels(frames);
        var mse = ((model.Decode(model.Encode(x).mean).clamp(-1, 1) - x) / 2).square().mean().item<float>();
        return 10 * Math.Log10(1 / Math.Max(mse, 1e-12));
    }

    internal static void CheckSize(TrainingData data, ModelConfig config)
    {
        if (data.Frames.shape[2] != config.Height || data.Frames.shape[3] != config.Width)
            throw new InvalidDataException($"The data set's frames are {data.Frames.shape[3]}×{data.Frames.shape[2]} but the model in vidiff.json is {config.Width}×{config.Height}; make the data set with --size {config.Width}");
    }
}
