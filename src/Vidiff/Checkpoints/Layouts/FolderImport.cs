using TorchSharp;
using Vidiff.Clip;
using Vidiff.Diffusion;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints.Layouts;

/// <summary>
/// Builds or completes a model folder (design.md) from public checkpoints: each run writes the weights files it imports
/// and the matching sections of <c>vidiff.json</c>. A section whose weights file is not in the folder yet is a default
/// kept consistent with the imported ones (Stable Diffusion 1.5's choices, <see cref="ModelConfig.Sd15"/>), replaced
/// when that component is imported. The whole config is validated before any file is written.
/// </summary>
public static class FolderImport
{
    /// <param name="NormGroups">Group-norm groups of a single-file checkpoint (not stored in its weights).</param>
    /// <param name="Heads">Attention heads of a single-file UNet (not stored).</param>
    /// <param name="HeadDim">Width per attention head instead of a head count.</param>
    /// <param name="Prediction">What the imported UNet predicts, when its source does not say (single files) or says wrongly.</param>
    /// <param name="DType">The UNet's and autoencoder's dtype, built and written (bf16 halves their memory and files).</param>
    public sealed record Options(int NormGroups = 32, int? Heads = null, int? HeadDim = null, Parameterization? Prediction = null, ScalarType DType = ScalarType.Float32);

    /// <summary>One weights file to write and the config section it brings.</summary>
    sealed record Part(string File, Func<ModelConfig, ModelConfig> Apply, Func<ModelConfig, string, string> Write);

    /// <summary>A single-file Stable Diffusion checkpoint: its UNet and/or autoencoder.</summary>
    public static List<string> StableDiffusion(string path, string into, Options options)
    {
        if (Directory.Exists(path)) throw new ArgumentException($"{path} is a folder; --from sd takes a single .safetensors file (use --from diffusers for a folder)");
        var parts = new List<Part>();
        var notes = new List<string>();
        using (var file = new SafetensorsFile(path))
        {
            bool Has(string prefix) => file.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
            if (!Has(LdmStableDiffusion.UnetPrefix) && !Has(LdmStableDiffusion.AutoencoderPrefix))
                throw new CheckpointMismatchException($"{path} has no \"{LdmStableDiffusion.UnetPrefix}*\" or \"{LdmStableDiffusion.AutoencoderPrefix}*\" tensors: not a Stable Diffusion single-file checkpoint (see vidiff inspect)");
            if (Has(LdmStableDiffusion.UnetPrefix))
            {
                var unet = LdmStableDiffusion.InferUnet(file, options.NormGroups, options.Heads, options.HeadDim);
                // A single file does not say what its UNet predicts: SD 1.x and 2.x-base predict ε, 2.x 768-v predicts v.
                parts.Add(new(ModelFolder.UnetFile, c => ImageUnet(c with { Unet = unet, Parameterization = options.Prediction ?? c.Parameterization }),
                    (_, target) => Save(ImageModelImport.UnetFromSingleFile(path, options.NormGroups, options.Heads, options.HeadDim, options.DType), target)));
            }
            if (Has(LdmStableDiffusion.AutoencoderPrefix))
            {
                var vae = LdmStableDiffusion.InferAutoencoder(file, options.NormGroups);
                parts.Add(new(ModelFolder.AutoencoderFile, c => c with { Autoencoder = vae },
                    (_, target) => Save(ImageModelImport.AutoencoderFromSingleFile(path, options.NormGroups, options.DType), target)));
            }
            if (Has(LdmStableDiffusion.TextEncoderPrefix))
                notes.Add($"{path}: its text encoder ({LdmStableDiffusion.TextEncoderPrefix}*, in OpenAI's or OpenCLIP's own layout) is not imported: import CLIP from a transformers folder with --from clip");
        }
        return [.. Run(into, parts), .. notes];
    }

    /// <summary>
    /// An image UNet's temporal layers are the identity (paper §3.2), so the video model's prediction is the per-frame
    /// model's: ω_t = 1 edits the same without the per-frame pass, and edits default to cross-frame attention.
    /// </summary>
    static ModelConfig ImageUnet(ModelConfig c) => c with { TemporalLayersTrained = false, Defaults = c.Defaults with { TemporalGuidance = 1 } };

    /// <summary>
    /// A diffusers pipeline folder: <c>unet/</c>, <c>vae/</c>, <c>prior/</c>, the CLIP towers <c>text_encoder/</c> and
    /// <c>image_encoder/</c>, <c>tokenizer/</c>, <c>scheduler/</c> and <c>depth_estimator/</c>, whichever are present.
    /// A text-to-image pipeline (Stable Diffusion 1.x/2.x, SD-2-depth: a UNet and a text encoder, no prior, no image
    /// encoder) becomes a text-state model, its UNet reading the text tower's hidden states as published.
    /// </summary>
    public static List<string> Diffusers(string folder, string into, Options options)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder} is not a folder; --from diffusers takes a pipeline folder with unet/, vae/, prior/, text_encoder/ or image_encoder/");
        string Sub(string name) => Path.Combine(folder, name);
        var parts = new List<Part>();
        // The autoencoder first: the UNet's frame size is its latent size times the autoencoder's stride.
        if (Directory.Exists(Sub("vae")))
        {
            var vae = DiffusersConfig.Autoencoder(Path.Combine(Sub("vae"), "config.json"));
            parts.Add(new(ModelFolder.AutoencoderFile, c => c with { Autoencoder = vae }, (_, target) => Save(ImageModelImport.AutoencoderFromDiffusers(Sub("vae"), options.DType), target)));
        }
        if (Directory.Exists(Sub("unet")))
        {
            var config = Path.Combine(Sub("unet"), "config.json");
            var unet = DiffusersConfig.Unet(config);
            int? sampleSize = DiffusersConfig.SampleSize(config);
            var scheduler = Path.Combine(Sub("scheduler"), "scheduler_config.json");
            (ModelConfig.NoiseProcess, Parameterization)? process = File.Exists(scheduler) ? DiffusersConfig.Scheduler(scheduler) : null;
            parts.Add(new(ModelFolder.UnetFile, c =>
            {
                c = ImageUnet(c with { Unet = unet });
                if (process is var (schedule, parameterization)) c = c with { Schedule = schedule, Parameterization = parameterization };
                if (options.Prediction is { } p) c = c with { Parameterization = p };
                // The pipeline's native frame size: its latent size times the autoencoder's stride.
                return sampleSize is int s ? c with { Width = s * c.Autoencoder.Stride, Height = s * c.Autoencoder.Stride } : c;
            }, (_, target) => Save(ImageModelImport.UnetFromDiffusers(Sub("unet"), options.DType), target)));
        }
        // unCLIP pipelines (Karlo) keep their prior beside the UNet.
        if (Directory.Exists(Sub("prior"))) parts.Add(PriorPart(Sub("prior")));
        if (Directory.Exists(Sub("depth_estimator"))) parts.Add(DepthPart(Sub("depth_estimator")));
        if (Directory.Exists(Sub("unet")) && Directory.Exists(Sub("text_encoder")) && !Directory.Exists(Sub("prior")) && !Directory.Exists(Sub("image_encoder")))
            parts.Add(TextEncoderPart(Sub("text_encoder"), Sub("tokenizer")));
        else
        {
            var towers = new[] { "text_encoder", "image_encoder" }.Where(t => Directory.Exists(Sub(t))).ToList();
            if (towers.Count == 2 && towers.Select(t => TransformersConfig.ClipParts(Path.Combine(Sub(t), "config.json")).ProjectionDim).Distinct().Count() > 1)
                throw new InvalidDataException($"{folder}: text_encoder/ and image_encoder/ have different projection_dim; both CLIP towers must share one embedding space");
            parts.AddRange(towers.Select(t => ClipPart(Sub(t), into)));
        }
        if (parts.Count == 0) throw new DirectoryNotFoundException($"{folder} has none of unet/, vae/, prior/, text_encoder/, image_encoder/: not a diffusers pipeline folder");
        return [.. Run(into, parts), .. Tokenizer(Sub("tokenizer"), into)];
    }

    /// <summary>transformers CLIPModel, or one tower (completing the folder's CLIP, see <see cref="ClipPart"/>).</summary>
    public static List<string> Clip(string folder, string into) => [.. Run(into, [ClipPart(folder, into)]), .. Tokenizer(folder, into)];

    public static List<string> Depth(string folder, string into) => Run(into, [DepthPart(folder)]);

    static Part DepthPart(string folder)
    {
        var config = TransformersConfig.Depth(Path.Combine(folder, "config.json"));
        return new(ModelFolder.DepthFile, c => c with { Depth = config }, (_, target) => Save(PretrainedImport.Depth(folder), target));
    }

    /// <summary>
    /// A text-to-image pipeline's text_encoder/ (CLIPTextModel; a projection, if any, is not used): the model folder's
    /// CLIP becomes this text tower alone, its hidden states the UNet's content. Its tokenizer must fit its vocabulary,
    /// checked before anything is written.
    /// </summary>
    static Part TextEncoderPart(string folder, string tokenizerFolder)
    {
        var (text, _, _, _) = TransformersConfig.ClipParts(Path.Combine(folder, "config.json"));
        if (text is null) throw new InvalidDataException($"{Path.Combine(folder, "config.json")}: expected a CLIP text model (CLIPTextModel) as a text-to-image pipeline's text encoder.");
        if (!File.Exists(Path.Combine(tokenizerFolder, "vocab.json")))
            throw new FileNotFoundException($"{tokenizerFolder} has no vocab.json: a text-to-image pipeline needs the tokenizer of its text encoder.");
        var tokenizer = ClipTokenizer.Load(tokenizerFolder);
        if (tokenizer.VocabSize > text.VocabSize)
            throw new InvalidDataException($"{tokenizerFolder}: the tokenizer has {tokenizer.VocabSize} tokens, the text encoder in {folder} embeds {text.VocabSize}: they do not belong together.");
        return new(ModelFolder.ClipFile, c => c with { Clip = c.Clip with { Text = text }, Content = ModelConfig.ContentKind.TextStates },
            (_, target) => Save(PretrainedImport.TextEncoder(folder, text), target));
    }

    public static List<string> Prior(string folder, string into) =>
        Run(into, [PriorPart(Directory.Exists(Path.Combine(folder, "prior")) ? Path.Combine(folder, "prior") : folder)]);

    static Part PriorPart(string folder)
    {
        var config = TransformersConfig.Prior(Path.Combine(folder, "config.json"));
        return new(ModelFolder.PriorFile, c => c with { Prior = config, PriorType = ModelConfig.PriorKind.Diffusion }, (_, target) => Save(PretrainedImport.Prior(folder), target));
    }

    /// <summary>
    /// A CLIPModel replaces the folder's CLIP. One tower (CLIPTextModel[WithProjection], CLIPVisionModel[WithProjection])
    /// replaces that tower and keeps the other: its weights from the folder's clip.safetensors if there, otherwise
    /// none yet (the file then holds one tower and the model folder does not load until the other is imported) with
    /// vidiff.json's section, or its default, as config. Both towers project into one space: their projection widths
    /// must agree. A text tower without a projection (SD 1.x's CLIPTextModel) keeps the folder's text_projection.
    /// </summary>
    static Part ClipPart(string folder, string into)
    {
        var (text, vision, projection, logitScale) = TransformersConfig.ClipParts(Path.Combine(folder, "config.json"));
        if (text is not null && vision is not null)
            return new(ModelFolder.ClipFile, c => c with { Clip = new ClipConfig(text, vision, projection, logitScale) }, (_, target) => Save(PretrainedImport.Clip(folder), target));
        var weights = PretrainedImport.Weights(folder, ["model.safetensors"]);
        string projectionKey = text is not null ? "text_projection.weight" : "visual_projection.weight";
        bool projected;
        using (var file = new SafetensorsFile(weights)) projected = file.Keys.Contains(projectionKey);
        ClipConfig Apply(ModelConfig c)
        {
            var existing = Path.Combine(into, ModelFolder.ClipFile);
            int width = projected ? projection : c.Clip.ProjectionDim;
            bool otherTower = File.Exists(existing) && ExistingKeys(existing).Any(k => k.StartsWith(text is not null ? "vision_model." : "text_model.", StringComparison.Ordinal));
            if (otherTower && width != c.Clip.ProjectionDim)
                throw new InvalidDataException($"{folder}: the CLIP {(text is not null ? "text" : "vision")} tower projects to {width} dimensions, the folder's other tower to {c.Clip.ProjectionDim}; both towers must share one embedding space");
            return text is not null ? c.Clip with { Text = text, ProjectionDim = width } : c.Clip with { Vision = vision!, ProjectionDim = width };
        }
        return new(ModelFolder.ClipFile, c => c with { Clip = Apply(c) }, (c, target) => MergeTower(c.Clip, weights, target, text is not null, projected));
    }

    static string[] ExistingKeys(string path)
    {
        using var file = new SafetensorsFile(path);
        return [.. file.Keys];
    }

    /// <summary>The tower's tensors, loaded strictly into our tower, beside the other tower's from the existing file.</summary>
    static string MergeTower(ClipConfig clip, string weights, string target, bool isText, bool projected)
    {
        using var scope = NewDisposeScope();
        string prefix = isText ? "text_model." : "vision_model.", projectionKey = isText ? "text_projection.weight" : "visual_projection.weight";
        var tensors = new Dictionary<string, Tensor>();
        if (File.Exists(target))
        {
            using var existing = new SafetensorsFile(target);
            foreach (var key in existing.Keys.Where(k => !k.StartsWith(prefix, StringComparison.Ordinal) && (k != projectionKey || !projected)))
                tensors[key] = existing.Read(key, ScalarType.Float32);
        }
        else tensors["logit_scale"] = tensor((float)clip.LogitScaleInit);
        using nn.Module tower = isText ? new ClipTextModel(clip.Text, clip.ProjectionDim) : new ClipVisionModel(clip.Vision, clip.ProjectionDim);
        var state = tower.state_dict();
        if (!projected && !(tensors.TryGetValue(projectionKey, out var kept) && kept.shape.SequenceEqual(state[projectionKey].shape)))
            throw new CheckpointMismatchException($"{weights} has no {projectionKey} (a CLIPTextModel without projection, like SD 1.x's text_encoder/) and the model folder has none of shape "
                + $"[{string.Join(", ", state[projectionKey].shape)}] to keep: import the CLIPModel it comes from, or a CLIPTextModelWithProjection");
        var keys = state.Keys.Where(k => projected || k != projectionKey).ToDictionary(k => k, k => k);
        using (var file = new SafetensorsFile(weights)) KeyMappedLoad.Load(tower, file, weights, keys);
        foreach (var key in keys.Keys) tensors[key] = state[key];
        Safetensors.Write(target, tensors);
        return $"{target}: CLIP {(isText ? "text" : "vision")} tower, {keys.Values.Sum(k => state[k].numel()):N0} parameters"
            + (tensors.Keys.Any(k => k.StartsWith(isText ? "vision_model." : "text_model.", StringComparison.Ordinal)) ? ", the other tower kept" : "; the other tower is still to import");
    }

    static List<string> Tokenizer(string folder, string into)
    {
        if (!File.Exists(Path.Combine(folder, "vocab.json")) || !File.Exists(Path.Combine(folder, "merges.txt"))) return [];
        // Hugging Face keeps the tokenizer beside the weights (or in a pipeline's tokenizer/); the model folder in tokenizer/.
        ClipTokenizer.Load(folder).Save(Path.Combine(into, ModelFolder.TokenizerFolder));
        return [$"{Path.Combine(into, ModelFolder.TokenizerFolder)}: vocab.json, merges.txt"];
    }

    /// <summary>Validates the completed config, then writes each weights file and vidiff.json (each atomically).</summary>
    static List<string> Run(string into, List<Part> parts)
    {
        var config = Complete(into, parts);
        Directory.CreateDirectory(into);
        var lines = parts.Select(p => p.Write(config, Path.Combine(into, p.File))).ToList();
        var configPath = Path.Combine(into, ModelFolder.ConfigFile);
        AtomicFile.Write(configPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(config.ToJson())));
        lines.Add($"{configPath}: {string.Join(", ", parts.Select(p => Path.GetFileNameWithoutExtension(p.File)))} sections written"
            + (ModelFolder.Files.Where(f => !File.Exists(Path.Combine(into, f))).ToList() is { Count: > 0 } missing ? $"; still missing {string.Join(", ", missing)}" : "; the folder is complete"));
        return lines;
    }

    /// <summary>vidiff.json as it will be: the folder's (or SD 1.5's defaults named after the folder), the imported sections, defaults made consistent.</summary>
    static ModelConfig Complete(string into, List<Part> parts)
    {
        var path = Path.Combine(into, ModelFolder.ConfigFile);
        var config = File.Exists(path) ? ModelConfig.FromJson(File.ReadAllText(path), path)
            : ModelConfig.Sd15() with { Name = Path.GetFileName(Path.GetFullPath(into).TrimEnd(Path.DirectorySeparatorChar)) };
        foreach (var part in parts) config = part.Apply(config);
        var imported = parts.Select(p => p.File).ToHashSet();
        config = Conform(config, file => imported.Contains(file) || File.Exists(Path.Combine(into, file)));
        config.Validate(path);
        return config;
    }

    /// <summary>Default sections (components not in the folder) follow the imported ones, in dependency order.</summary>
    static ModelConfig Conform(ModelConfig c, Func<string, bool> real)
    {
        if (!real(ModelFolder.ClipFile))
        {
            int width = real(ModelFolder.UnetFile) ? c.Unet.ContentDim : real(ModelFolder.PriorFile) ? c.Prior.EmbeddingDim : c.Clip.ProjectionDim;
            var clip = width == c.Clip.ProjectionDim ? c.Clip : width == ClipConfig.VitH14.ProjectionDim ? ClipConfig.VitH14 : c.Clip with { ProjectionDim = width };
            if (real(ModelFolder.PriorFile) && c.PriorType == ModelConfig.PriorKind.Diffusion)
                clip = clip with { Text = clip.Text with { HiddenSize = c.Prior.EmbeddingDim, MaxPositionEmbeddings = c.Prior.NumEmbeddings } };
            c = c with { Clip = clip };
        }
        if (!real(ModelFolder.UnetFile))
            c = c with { Unet = c.Unet with { ContentDim = c.HasPrior ? c.Clip.ProjectionDim : c.Clip.Text.HiddenSize, LatentChannels = c.Autoencoder.LatentChannels, OutChannels = c.Autoencoder.LatentChannels } };
        if (!real(ModelFolder.AutoencoderFile))
            c = c with { Autoencoder = c.Autoencoder with { LatentChannels = c.Unet.LatentChannels } };
        if (!real(ModelFolder.PriorFile))
            c = c with
            {
                Prior = c.Prior with { EmbeddingDim = c.Clip.ProjectionDim, NumEmbeddings = c.Clip.Text.MaxPositionEmbeddings },
                // unCLIP's prior reads the text hidden states, so it needs them as wide as the embedding; else the regression prior.
                PriorType = c.Clip.Text.HiddenSize == c.Clip.ProjectionDim ? ModelConfig.PriorKind.Diffusion : ModelConfig.PriorKind.Regression,
            };
        return c;
    }

    static string Save(nn.Module module, string target)
    {
        using (module)
        {
            ModuleWeights.Save(module, target);
            return $"{target}: {module.GetName()}, {module.parameters().Sum(p => p.numel()):N0} parameters";
        }
    }
}
