using System.Diagnostics;
using System.Globalization;
using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Prior;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// The prior of paper §4, text embedding → image embedding, on the trained CLIP. Both of unCLIP's priors are trained
/// (the diffusion prior and the regression MLP, each on half the budget); the one whose samples are closer (cosine) to
/// the true image embeddings of held-out clips is exported and named in vidiff.json, and both figures are reported.
/// </summary>
public static class PriorStage
{
    public const string Name = "prior", DiffusionName = "prior-diffusion", RegressionName = "prior-regression";

    public static StageResult Run(StageContext ctx)
    {
        var clock = Stopwatch.StartNew();
        var config = ctx.ReadConfig();
        using var clip = ctx.Load(new ClipModel(config.Clip), ModelFolder.ClipFile, ClipStage.Name);
        var tokenizer = ClipTokenizer.Load(Path.Combine(ctx.ModelDir, ModelFolder.TokenizerFolder));
        var text = new TextEncoder(clip, tokenizer);
        var half = ctx with { Options = ctx.Options with { Minutes = ctx.Options.Minutes / 2 } };

        var (mean, std) = EmbeddingStatistics(clip, ctx.Data, new Random((int)ctx.Options.Seed));
        var (nullEmbed, nullHidden, nullMask) = text.Encode([""]);
        using var diffusionRun = half.Run(DiffusionName, () =>
        {
            var model = new PriorTransformer(config.Prior);
            model.SetStatistics(mean, std);
            return model;
        });
        double diffusionLoss = StageContext.Loop(diffusionRun, () =>
        {
            var (g, rng) = diffusionRun.RandomForStep();
            var (image, embed, hidden, mask) = Batch(ctx.Data, clip, text, rng, ctx.Options.BatchSize);
            var prior = new DiffusionPrior(diffusionRun.Model, nullEmbed, nullHidden, nullMask);
            return prior.Loss(image, embed, hidden, mask, generator: g);
        });
        using var regressionRun = half.Run(RegressionName, () => new RegressionPrior(config.Prior.EmbeddingDim, config.Prior.InnerDim));
        double regressionLoss = StageContext.Loop(regressionRun, () =>
        {
            var (_, rng) = regressionRun.RandomForStep();
            var (image, embed, _, _) = Batch(ctx.Data, clip, text, rng, ctx.Options.BatchSize);
            return regressionRun.Model.Loss(image, embed);
        });

        double diffusionCosine = HeldOutCosine(new DiffusionPrior(diffusionRun.Ema, nullEmbed, nullHidden, nullMask), clip, text, ctx.Data, ctx.Options.Seed);
        double regressionCosine = HeldOutCosine(regressionRun.Ema, clip, text, ctx.Data, ctx.Options.Seed);
        bool diffusionWins = !(regressionCosine > diffusionCosine);
        ctx.WriteConfig(config with { PriorType = diffusionWins ? ModelConfig.PriorKind.Diffusion : ModelConfig.PriorKind.Regression });
        ctx.Export(diffusionWins ? diffusionRun.Ema : regressionRun.Ema, ModelFolder.PriorFile);
        string figures = string.Create(CultureInfo.InvariantCulture,
            $"held-out cosine(prior(text), image): diffusion {diffusionCosine:F3}, regression {regressionCosine:F3}; kept {(diffusionWins ? "diffusion" : "regression")}");
        ctx.Finish(regressionRun, RegressionName, regressionLoss, clock);
        var result = ctx.Finish(diffusionRun, DiffusionName, diffusionLoss, clock, figures);
        return result with { Stage = Name, Steps = ctx.Options.Steps };
    }

    /// <summary>CLIP text encodings of a batch: projected embedding, hidden states and the mask of real tokens.</summary>
    internal sealed class TextEncoder(ClipModel clip, ClipTokenizer tokenizer)
    {
        public (Tensor Embed, Tensor Hidden, Tensor Mask) Encode(IReadOnlyList<string> texts)
        {
            int length = clip.Config.Text.MaxPositionEmbeddings;
            using var _ = no_grad();
            var device = clip.parameters().First().device;
            var output = clip.EncodeTextFull(ClipStage.Ids(tokenizer, texts, length, device));
            var real = texts.Select(t => Math.Min(tokenizer.Tokenize(t).Count, length - 2) + 2).ToArray();
            var mask = arange(length, device: device).unsqueeze(0).lt(tensor(real.Select(r => (long)r).ToArray(), device: device).unsqueeze(1));
            return (output.TextEmbeds, output.LastHiddenState, mask);
        }
    }

    /// <summary>Image embeddings of one random frame per clip and the encodings of one random caption per clip.</summary>
    static (Tensor Image, Tensor Embed, Tensor Hidden, Tensor Mask) Batch(TrainingData data, ClipModel clip, TextEncoder text, Random rng, int batch)
    {
        var clips = data.RandomClips(rng, batch);
        using var _ = no_grad();
        var image = clip.EncodeImage(data.Pixels(data.RandomFrameOf(rng, clips)));
        var (embed, hidden, mask) = text.Encode([.. clips.Select(c => data.RandomCaption(rng, c))]);
        return (image, embed, hidden, mask);
    }

    /// <summary>Per-dimension mean and std of image embeddings over up to 512 training frames: the prior's units (diffusers' clip_mean/clip_std).</summary>
    static (Tensor Mean, Tensor Std) EmbeddingStatistics(ClipModel clip, TrainingData data, Random rng)
    {
        using var _ = no_grad();
        var frames = data.RandomFrameOf(rng, data.RandomClips(rng, Math.Min(512, data.TrainingClips.Length)));
        var embeds = cat([.. frames.Chunk(64).Select(chunk => clip.EncodeImage(data.Pixels(chunk)))], 0);
        return (embeds.mean([0]), embeds.std(0).clamp_min(1e-4));
    }

    /// <summary>Mean cosine similarity between the prior's image embedding for each held-out clip's first caption and the CLIP embedding of the clip's middle frame.</summary>
    internal static double HeldOutCosine(IPrior prior, ClipModel clip, TextEncoder text, TrainingData data, long seed)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var clips = data.HeldOutClips.Take(64).ToArray();
        if (clips.Length == 0) return double.NaN;
        var image = clip.EncodeImage(data.Pixels([.. clips.Select(c => data.ClipStart[c] + data.FrameCount(c) / 2)]));
        var (embed, hidden, mask) = text.Encode([.. clips.Select(c => data.Captions[c][0])]);
        var predicted = prior.Sample(embed, hidden, new Generator((ulong)seed), mask);
        return (ClipModel.Normalize(predicted) * ClipModel.Normalize(image)).sum(1).mean().item<float>();
    }
}
