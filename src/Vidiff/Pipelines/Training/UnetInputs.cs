using System.Security.Cryptography;
using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Depth;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// What the frozen networks give for every frame, computed once per data set and model and cached in the run
/// folder: scaled latents (posterior mean), the depth model's disparity, the normalised CLIP image embedding of the
/// frame and of its mirror image; for a text-state model, instead of the embeddings, its null content.
/// </summary>
public sealed class UnetInputs(Tensor latents, Tensor disparity, Tensor imageEmbeds, Tensor mirroredEmbeds, Tensor? nullContent = null) : IDisposable
{
    /// <summary>[N, latent, h, w] float16, already × the scaling factor.</summary>
    public Tensor Latents { get; } = latents;

    /// <summary>
    /// [N, 1, H, W] float32, the depth model's relative inverse depth. Not float16: the scale-and-shift-invariant loss
    /// leaves the estimator's scale free, and the mini estimator's outputs exceed float16's 65504.
    /// </summary>
    public Tensor Disparity { get; } = disparity;

    /// <summary>[N, E] float32, unit length.</summary>
    public Tensor ImageEmbeds { get; } = imageEmbeds;

    /// <summary>[N, E] float32, unit length: the embedding of each frame mirrored left to right, the same appearance in
    /// another layout (<see cref="UnetSettings.MirroredContentShare"/>).</summary>
    public Tensor MirroredEmbeds { get; } = mirroredEmbeds;

    /// <summary>
    /// [1, T, D]: a text-state model's null content (<see cref="EditPipeline.NullContent"/>, the empty prompt's hidden
    /// states), the content of every sample: video clips have no captions, so its temporal layers learn motion
    /// content-free; the embeddings are then empty [N, 0]. Null for an image-embedding model.
    /// </summary>
    public Tensor? NullContent { get; } = nullContent;

    public static UnetInputs LoadOrCompute(StageContext ctx, ModelConfig config)
    {
        var path = Path.Combine(ctx.RunDir(UnetStage.Name), UnetStage.InputsFile);
        long frames = ctx.Data.Frames.shape[0];
        // Valid while the data (its size and source) and the three frozen networks' weights are unchanged. Keyed on the
        // files' contents, not their times: rerunning a finished stage exports the same weights again, and must not cost a recache.
        var source = string.Join("|", new[] { ModelFolder.AutoencoderFile, ModelFolder.DepthFile, ModelFolder.ClipFile }
            .Select(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(ctx.ModelDir, f)))))
            .Prepend(frames.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Prepend(ctx.Data.Source + (config.Content == ModelConfig.ContentKind.TextStates ? "text_states" : "")).Where(p => p.Length > 0).Prepend("mirrored"));
        if (File.Exists(path))
        {
            using var file = new SafetensorsFile(path);
            if (file.Metadata.GetValueOrDefault("source") == source)
                return new UnetInputs(file.Read("latents"), file.Read("disparity"), file.Read("image_embeds"), file.Read("mirrored_embeds"),
                    file.Keys.Contains("null_content") ? file.Read("null_content") : null);
        }
        bool text = config.Content == ModelConfig.ContentKind.TextStates;
        Tensor? nullContent = null;
        if (text)
        {
            // The text tower alone: the other networks of the folder are loaded below, or trained.
            using var tower = ctx.Load(new ClipTextModel(config.Clip.Text, projectionDim: null), ModelFolder.ClipFile, ClipStage.Name);
            var tokenizer = ClipTokenizer.Load(Path.Combine(ctx.ModelDir, ModelFolder.TokenizerFolder));
            using var scope = NewDisposeScope();
            nullContent = EditPipeline.TextStates(tower, tokenizer, config.Clip.Text.MaxPositionEmbeddings, "").cpu().MoveToOuterDisposeScope();
        }
        using var autoencoder = ctx.Load(new AutoencoderKL(config.Autoencoder), ModelFolder.AutoencoderFile, AutoencoderStage.Name);
        using var depth = ctx.Load(new DptDepthEstimator(config.Depth), ModelFolder.DepthFile, DepthStage.Name);
        using var clip = text ? null : ctx.Load(new ClipModel(config.Clip), ModelFolder.ClipFile, ClipStage.Name);
        var latents = new List<Tensor>();
        var disparity = new List<Tensor>();
        var embeds = new List<Tensor>();
        var mirrored = new List<Tensor>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (no_grad())
        {
            foreach (var chunk in Enumerable.Range(0, (int)frames).Select(i => (long)i).Chunk(64))
            {
                long done = chunk[0];
                var remaining = done == 0 ? TimeSpan.Zero : clock.Elapsed / done * (frames - done);
                ctx.Progress?.Report(new TrainingProgress($"{UnetStage.Name}: caching the frozen networks' outputs, frame", done, frames, double.NaN, 0, remaining));
                using var scope = NewDisposeScope();
                // The cache lives in CPU memory beside the data set: the frozen networks run on the device, their outputs come back.
                var x = ctx.Data.Pixels(chunk);
                latents.Add((autoencoder.Encode(x).mean * config.Autoencoder.ScalingFactor).to(ScalarType.Float16, CPU).MoveToOuterDisposeScope());
                disparity.Add(depth.forward(x).cpu().MoveToOuterDisposeScope());
                embeds.Add((clip is null ? empty([x.shape[0], 0]) : ClipModel.Normalize(clip.EncodeImage(x)).cpu()).MoveToOuterDisposeScope());
                mirrored.Add((clip is null ? empty([x.shape[0], 0]) : ClipModel.Normalize(clip.EncodeImage(x.flip(3))).cpu()).MoveToOuterDisposeScope());
            }
        }
        var inputs = new UnetInputs(cat(latents, 0), cat(disparity, 0), cat(embeds, 0), cat(mirrored, 0), nullContent);
        Directory.CreateDirectory(ctx.RunDir(UnetStage.Name));
        var tensors = new Dictionary<string, Tensor> { ["latents"] = inputs.Latents, ["disparity"] = inputs.Disparity, ["image_embeds"] = inputs.ImageEmbeds, ["mirrored_embeds"] = inputs.MirroredEmbeds };
        if (nullContent is not null) tensors["null_content"] = nullContent;
        Safetensors.Write(path, tensors, new Dictionary<string, string> { ["source"] = source });
        return inputs;
    }

    public void Dispose()
    {
        Latents.Dispose();
        Disparity.Dispose();
        ImageEmbeds.Dispose();
        MirroredEmbeds.Dispose();
        NullContent?.Dispose();
    }
}
