using System.Diagnostics;
using System.Globalization;
using Vidiff.Checkpoints;
using Vidiff.Clip;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// The content encoder of paper §4 at our scale: a byte-level BPE tokenizer learnt on the captions (CLIP's
/// vocab.json + merges.txt format), then both CLIP towers trained contrastively on (frame, caption) pairs, each batch
/// drawing distinct clips so that no negative is a second view of the positive.
/// </summary>
public static class ClipStage
{
    public const string Name = "clip";

    public static StageResult Run(StageContext ctx)
    {
        var clock = Stopwatch.StartNew();
        var config = ctx.ReadConfig();
        AutoencoderStage.CheckSize(ctx.Data, config);
        var tokenizer = Tokenizer(ctx, config.Clip.Text.VocabSize);
        // The text tower's vocabulary and pooling token follow the tokenizer actually learnt.
        config = config with { Clip = config.Clip with { Text = config.Clip.Text with { VocabSize = tokenizer.VocabSize, EosTokenId = tokenizer.EndId } } };
        ctx.WriteConfig(config);

        using var run = ctx.Run(Name, () => new ClipModel(config.Clip));
        double last = StageContext.Loop(run, () => Loss(run, ctx.Data, tokenizer, ctx.Options.BatchSize));
        double accuracy = HeldOutRetrieval(run.Ema, ctx.Data, tokenizer);
        ctx.Export(run.Ema, ModelFolder.ClipFile);
        return ctx.Finish(run, Name, last, clock, string.Create(CultureInfo.InvariantCulture,
            $"vocabulary {tokenizer.VocabSize}, held-out caption→frame top-1 {accuracy:P0} among {Math.Min(64, ctx.Data.HeldOutClips.Length)} clips"));
    }

    /// <summary>The model folder's tokenizer, learnt on every training caption the first time.</summary>
    public static ClipTokenizer Tokenizer(StageContext ctx, int vocabSize)
    {
        var dir = Path.Combine(ctx.ModelDir, ModelFolder.TokenizerFolder);
        if (File.Exists(Path.Combine(ctx.ModelDir, ModelFolder.VocabFile)) && File.Exists(Path.Combine(ctx.ModelDir, ModelFolder.MergesFile)))
            return ClipTokenizer.Load(dir);
        var tokenizer = ClipTokenizer.Train(ctx.Data.TrainingClips.SelectMany(c => ctx.Data.Captions[c]), vocabSize);
        tokenizer.Save(dir);
        return tokenizer;
    }

    public static Tensor Ids(ClipTokenizer tokenizer, IEnumerable<string> texts, int length, Device device) =>
        stack(texts.Select(t => tensor(tokenizer.Encode(t, length).Select(i => (long)i).ToArray(), device: device)));

    public static Tensor Loss(TrainingRun<ClipModel> run, TrainingData data, ClipTokenizer tokenizer, int batch)
    {
        var (_, rng) = run.RandomForStep();
        var clips = data.RandomClips(rng, batch);
        var frames = data.Pixels(data.RandomFrameOf(rng, clips));
        var ids = Ids(tokenizer, clips.Select(c => data.RandomCaption(rng, c)), run.Model.Config.Text.MaxPositionEmbeddings, frames.device);
        return run.Model.ContrastiveLoss(run.Model.EncodeText(ids).to(ScalarType.Float32), run.Model.EncodeImage(frames).to(ScalarType.Float32));
    }

    /// <summary>Share of held-out clips (up to 64) whose first caption is closest to that clip's middle frame among them all.</summary>
    public static double HeldOutRetrieval(ClipModel model, TrainingData data, ClipTokenizer tokenizer)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var clips = data.HeldOutClips.Take(64).ToArray();
        if (clips.Length == 0) return double.NaN;
        var images = ClipModel.Normalize(model.EncodeImage(data.Pixels([.. clips.Select(c => data.ClipStart[c] + data.FrameCount(c) / 2)])));
        var texts = ClipModel.Normalize(model.EncodeText(Ids(tokenizer, clips.Select(c => data.Captions[c][0]), model.Config.Text.MaxPositionEmbeddings, images.device)));
        var best = matmul(texts, images.t()).argmax(1);
        return best.eq(arange(clips.Length, device: best.device)).to(ScalarType.Float32).mean().item<float>();
    }
}
