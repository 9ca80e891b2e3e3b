using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Vidiff.Autoencoder;
using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Diffusion;
using Vidiff.Prior;
using Vidiff.Structure;
using Vidiff.Unet;

namespace Vidiff.Checkpoints;

/// <summary>
/// Everything a model folder's <c>vidiff.json</c> holds (design.md, "The model folder"): frame size and window, every
/// component's config, the noise process and parameterization, the structure levels, and the model's edit defaults.
/// </summary>
/// <param name="WindowFrames">Frames the UNet sees at once; longer clips run in overlapping windows.</param>
/// <param name="WindowOverlap">Frames shared by neighbouring windows, blended at every denoising step.</param>
/// <param name="StructureLevels">T_s: the largest t_s the model was trained with (paper §3).</param>
/// <param name="Content">What the UNet's cross-attention reads (<see cref="ContentKind"/>).</param>
/// <param name="TemporalLayersTrained">Whether the temporal layers of paper §2 were trained (false for an image model
/// just imported, whose temporal layers are the identity): edits then default to cross-frame attention.</param>
public sealed record ModelConfig(
    string Name,
    int Width,
    int Height,
    int WindowFrames,
    int WindowOverlap,
    AutoencoderConfig Autoencoder,
    UnetConfig Unet,
    ClipConfig Clip,
    ModelConfig.PriorKind PriorType,
    PriorConfig Prior,
    DptConfig Depth,
    ModelConfig.NoiseProcess Schedule,
    Parameterization Parameterization,
    int StructureLevels,
    ModelConfig.EditDefaults Defaults,
    ModelConfig.ContentKind Content = ModelConfig.ContentKind.ImageEmbedding,
    bool TemporalLayersTrained = true)
{
    /// <summary>
    /// What the UNet cross-attends to: Gen-1's CLIP image embedding (paper §4; a prompt reaches it through the prior),
    /// or, as published text-to-image UNets (Stable Diffusion 1.x/2.x, SD-2-depth), the CLIP text tower's hidden states.
    /// </summary>
    public enum ContentKind
    {
        ImageEmbedding,
        TextStates,
    }

    /// <summary>How the prior maps text to image embeddings (paper §4): unCLIP's diffusion prior or a regression MLP.</summary>
    public enum PriorKind
    {
        Diffusion,
        Regression,
    }

    public enum ScheduleKind
    {
        Linear,
        ScaledLinear,
        Cosine,
    }

    public enum SamplerKind
    {
        Ddim,
        Dpmpp,
    }

    /// <summary>The forward process of paper §1: β schedule over T steps (betas unused by the cosine schedule).</summary>
    public sealed record NoiseProcess(ScheduleKind Kind, int Steps = NoiseSchedule.DefaultSteps, double BetaStart = 0.00085, double BetaEnd = 0.012)
    {
        public NoiseSchedule Create() => Kind switch
        {
            ScheduleKind.Linear => NoiseSchedule.Linear(BetaStart, BetaEnd, Steps),
            ScheduleKind.ScaledLinear => NoiseSchedule.ScaledLinear(BetaStart, BetaEnd, Steps),
            ScheduleKind.Cosine => NoiseSchedule.Cosine(Steps),
            _ => throw new InvalidDataException($"Unknown noise schedule kind {Kind}."),
        };
    }

    /// <summary>
    /// The three knobs of paper §5, how its guidances combine, and the sampler, as this model edits best. Our choice for
    /// the presets: DDIM (paper §1), ω = 7.5 (latent diffusion's usual content scale), ω_t = 1.5 (a little more temporal
    /// consistency than the plain video model, paper §5), t_s = 3 (mid-range: follows the input's shapes but lets
    /// content reshape detail), the paper's guidance form.
    /// </summary>
    public sealed record EditDefaults(SamplerKind Sampler, int Steps, double Guidance = 7.5, double TemporalGuidance = 1.5, int StructureLevel = 3,
        GuidanceForm GuidanceForm = GuidanceForm.Paper);

    /// <summary>Only an image-embedding model maps text to content through a prior (paper §4) and reads images by CLIP's vision tower.</summary>
    [JsonIgnore]
    public bool HasPrior => Content == ContentKind.ImageEmbedding;

    /// <summary>The autoencoder's latent scaling factor (paper §1; design.md "latents scaled").</summary>
    [JsonIgnore]
    public double LatentScale => Autoencoder.ScalingFactor;

    /// <summary>Latent height and width of a frame of the model's size.</summary>
    [JsonIgnore]
    public (int Height, int Width) LatentSize => (Height / Autoencoder.Stride, Width / Autoencoder.Stride);

    /// <summary>For tests: 16×16 frames, 8×8 latents, every network a few thousand to a few hundred thousand parameters.</summary>
    public static ModelConfig Tiny(int vocabSize, int eosTokenId) => new(
        "tiny", 16, 16, 8, 2,
        AutoencoderConfig.Tiny,
        UnetConfig.Tiny with { ContentDim = 32 },
        new ClipConfig(
            new ClipTextConfig(vocabSize, 16, 32, 64, 2, 4, "quick_gelu", eosTokenId),
            new ClipVisionConfig(32, 8, 32, 64, 2, 4, "quick_gelu"),
            ProjectionDim: 32),
        PriorKind.Diffusion,
        new PriorConfig(2, 8, 2, 32, 16, SamplingSteps: 5),
        DptConfig.Tiny,
        new NoiseProcess(ScheduleKind.Cosine),
        Parameterization.V,
        StructureEncoder.MaxLevel,
        new EditDefaults(SamplerKind.Ddim, 20));

    /// <summary>
    /// The bundled model's shapes (design.md): 64×64 frames, 16×16 latents, windows of 16 frames; 20 DDIM steps (paper §1).
    /// ω = 2, not Stable Diffusion's 7.5, which saturates the mini model's outputs into flat colour fields; chosen on
    /// validation clips (docs/model-card-mini.md).
    /// </summary>
    public static ModelConfig Mini(int vocabSize, int eosTokenId) => new(
        "mini", 64, 64, 16, 4,
        AutoencoderConfig.Mini,
        UnetConfig.Mini,
        ClipConfig.Mini(vocabSize, eosTokenId),
        PriorKind.Diffusion,
        PriorConfig.Mini(),
        DptConfig.Mini,
        new NoiseProcess(ScheduleKind.Cosine),
        Parameterization.V,
        StructureEncoder.MaxLevel,
        new EditDefaults(SamplerKind.Ddim, 20, Guidance: 2));

    /// <summary>
    /// Full size: Stable Diffusion 1.5's autoencoder and UNet (+ depth channel), CLIP ViT-L/14, the Karlo prior and
    /// MiDaS DPT-Large, as the paper builds on; 512×512 frames, 50 DDIM steps (paper §1); ε-prediction as SD 1.5.
    /// </summary>
    public static ModelConfig Sd15() => new(
        "sd15", 512, 512, 8, 2,
        AutoencoderConfig.Sd,
        UnetConfig.Sd15,
        ClipConfig.VitL14,
        PriorKind.Diffusion,
        PriorConfig.Karlo,
        DptConfig.DptLarge,
        new NoiseProcess(ScheduleKind.ScaledLinear),
        Parameterization.Epsilon,
        StructureEncoder.MaxLevel,
        new EditDefaults(SamplerKind.Ddim, 50));

    /// <summary>snake_case JSON, enums as names; computed properties (no setter) are not written.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (info.Kind != JsonTypeInfoKind.Object) return;
                    for (int i = info.Properties.Count - 1; i >= 0; i--)
                        if (info.Properties[i].Set is null) info.Properties.RemoveAt(i);
                },
            },
        },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses and checks a vidiff.json; <paramref name="source"/> names it in errors.</summary>
    public static ModelConfig FromJson(string json, string source)
    {
        ModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ModelConfig>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a valid model config ({e.Message})", e);
        }
        if (config is null) throw new InvalidDataException($"{source}: empty model config");
        config.Validate(source);
        return config;
    }

    /// <summary>The consistency checks that, failing, would only show up later as a shape error deep in a network.</summary>
    public void Validate(string source)
    {
        string? problem =
            Autoencoder is null || Unet is null || Clip is null || Prior is null || Depth is null || Schedule is null || Defaults is null
                ? "every component config (autoencoder, unet, clip, prior, depth, schedule, defaults)" :
            Width <= 0 || Height <= 0 || Width % Autoencoder.Stride != 0 || Height % Autoencoder.Stride != 0
                ? $"width and height positive multiples of the latent stride {Autoencoder.Stride}, got {Width}×{Height}" :
            WindowFrames < 1 || WindowFrames > Unet.MaxFrames ? $"window_frames in [1, {Unet.MaxFrames}], got {WindowFrames}" :
            WindowOverlap < 0 || WindowOverlap >= WindowFrames ? $"window_overlap in [0, {WindowFrames - 1}], got {WindowOverlap}" :
            Unet.LatentChannels != Autoencoder.LatentChannels ? $"unet latent_channels {Unet.LatentChannels} = autoencoder latent_channels {Autoencoder.LatentChannels}" :
            Unet.StructureChannels != 1 ? $"unet structure_channels 1 (depth), got {Unet.StructureChannels}" :
            Content == ContentKind.TextStates && Unet.ContentDim != Clip.Text.HiddenSize
                ? $"unet content_dim {Unet.ContentDim} = clip text hidden_size {Clip.Text.HiddenSize} (the UNet reads the text hidden states)" :
            Content == ContentKind.ImageEmbedding && Unet.ContentDim != Clip.ProjectionDim ? $"unet content_dim {Unet.ContentDim} = clip projection_dim {Clip.ProjectionDim}" :
            // A text-state model has no prior: its section is not read.
            HasPrior && Prior.EmbeddingDim != Clip.ProjectionDim ? $"prior embedding_dim {Prior.EmbeddingDim} = clip projection_dim {Clip.ProjectionDim}" :
            HasPrior && PriorType == PriorKind.Diffusion && Prior.NumEmbeddings != Clip.Text.MaxPositionEmbeddings
                ? $"prior num_embeddings {Prior.NumEmbeddings} = clip text max_position_embeddings {Clip.Text.MaxPositionEmbeddings}" :
            HasPrior && PriorType == PriorKind.Diffusion && Clip.Text.HiddenSize != Prior.EmbeddingDim
                ? $"clip text hidden_size {Clip.Text.HiddenSize} = prior embedding_dim {Prior.EmbeddingDim} (the prior reads the text hidden states)" :
            StructureLevels < 0 || StructureLevels > StructureEncoder.MaxLevel ? $"structure_levels in [0, {StructureEncoder.MaxLevel}], got {StructureLevels}" :
            Schedule.Steps < 1 ? $"schedule steps ≥ 1, got {Schedule.Steps}" :
            Defaults.Steps < 1 || Defaults.Steps > Schedule.Steps ? $"default steps in [1, {Schedule.Steps}], got {Defaults.Steps}" :
            Defaults.StructureLevel < 0 || Defaults.StructureLevel > StructureLevels ? $"default structure_level in [0, {StructureLevels}], got {Defaults.StructureLevel}" :
            !double.IsFinite(Defaults.Guidance) || !double.IsFinite(Defaults.TemporalGuidance) ? "finite default guidance scales" : null;
        if (problem is not null) throw new InvalidDataException($"{source}: expected {problem}.");
    }
}
