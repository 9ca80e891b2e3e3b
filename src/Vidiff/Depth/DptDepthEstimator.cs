using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

using Vidiff.Nn;

namespace Vidiff.Depth;

/// <summary>
/// Monocular relative inverse depth (paper §3.3: the structure signal s is MiDaS DPT-Large depth of every frame).
/// A ViT backbone, DPT's reassemble stage (tokens → image-like maps at 4 scales), the fusion stage (RefineNet-style
/// coarse-to-fine merging) and a small conv head with a final ReLU. DPT-Hybrid runs the ViT on BiT ResNet features
/// and gives the neck the ResNet's two early maps in place of the two shallowest token maps. Parameter names are
/// those of Hugging Face's DPTForDepthEstimation (ViT, hybrid) or DepthAnythingForDepthEstimation (DINOv2), so their
/// checkpoints load 1:1.
/// </summary>
public sealed class DptDepthEstimator : nn.Module<Tensor, Tensor>
{
    // DPT's reassemble_factors; DPT-Hybrid's [1, 1, 1, 0.5] agree on the two slots it uses.
    static readonly double[] ReassembleFactors = [4, 2, 1, 0.5];

    readonly VitEmbeddings? embeddings;
    readonly VitHybridEmbeddings? hybridEmbeddings;
    readonly ModuleList<VitLayer> layers;
    readonly LayerNorm layernorm;
    readonly ModuleList<Sequential>? readoutProjects;
    readonly ModuleList<Sequential> reassemble;
    readonly ModuleList<Conv> convs;
    readonly ModuleList<FusionLayer> fusion;
    readonly Sequential? dptHead;
    readonly Conv? conv1, conv2, conv3;
    readonly Tensor mean, std;

    public DptConfig Config { get; }

    public DptDepthEstimator(DptConfig config) : base(nameof(DptDepthEstimator))
    {
        Validate(config);
        Config = config;
        int d = config.HiddenSize, f = config.FusionHiddenSize;
        var neck = config.NeckHiddenSizes;

        bool dinov2 = config.Backbone == DptBackbone.Dinov2, hybrid = config.Backbone == DptBackbone.VitHybrid;
        nn.Module tokenizer = hybrid ? hybridEmbeddings = new VitHybridEmbeddings(config) : embeddings = new VitEmbeddings(config);
        layers = new ModuleList<VitLayer>(Enumerable.Range(0, config.Layers).Select(_ => new VitLayer(config)).ToArray());
        // DPT stores a final LayerNorm it never applies to the depth path; DINOv2 applies it to every neck input.
        layernorm = nn.LayerNorm(d, config.LayerNormEps);
        register_module(dinov2 ? "backbone" : "dpt", new Scope(
            ("embeddings", tokenizer), ("encoder", new Scope(("layer", layers))), ("layernorm", layernorm)));

        // Reassemble (DPT §3): ViT keeps the [CLS] token's global context by concatenating it to every token ("project"
        // readout). DPT-Hybrid's first two neck inputs are ResNet maps already, so their slots hold nothing.
        Sequential Slot(int i, Func<Sequential> make) => hybrid && i < 2 ? nn.Sequential() : make();
        var reassembleStage = new List<(string, object)>();
        if (!dinov2)
        {
            readoutProjects = new ModuleList<Sequential>(neck.Select((_, i) => Slot(i, () =>
                nn.Sequential(("0", nn.Linear(2 * d, d)), ("1", nn.GELU())))).ToArray());
            reassembleStage.Add(("readout_projects", readoutProjects));
        }
        reassemble = new ModuleList<Sequential>(neck.Select((ch, i) => Slot(i, () => ReassembleLayer(d, ch, ReassembleFactors[i]))).ToArray());
        reassembleStage.Add(("layers", reassemble));
        convs = new ModuleList<Conv>(neck.Select(ch => new Conv(ch, f, 3, padding: 1, bias: false)).ToArray());
        fusion = new ModuleList<FusionLayer>(neck.Select(_ => new FusionLayer(f)).ToArray());
        register_module("neck", new Scope(("reassemble_stage", new Scope(reassembleStage.ToArray())), ("convs", convs),
            ("fusion_stage", new Scope(("layers", fusion)))));

        if (!dinov2)
        {
            dptHead = nn.Sequential(
                ("0", new Conv(f, f / 2, 3, padding: 1)),
                ("1", nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Bilinear, align_corners: true)),
                ("2", new Conv(f / 2, config.HeadHiddenSize, 3, padding: 1)),
                ("3", nn.ReLU()),
                ("4", new Conv(config.HeadHiddenSize, 1, 1)),
                ("5", nn.ReLU()));
            register_module("head", new Scope(("head", dptHead)));
        }
        else
        {
            conv1 = new Conv(f, f / 2, 3, padding: 1);
            conv2 = new Conv(f / 2, config.HeadHiddenSize, 3, padding: 1);
            conv3 = new Conv(config.HeadHiddenSize, 1, 1);
            register_module("head", new Scope(("conv1", conv1), ("conv2", conv2), ("conv3", conv3)));
        }
        // Inverse depth is positive: start the final ReLU open, or a random init can leave every pixel at zero with no
        // gradient to recover from (our choice; imported checkpoints overwrite it).
        using (no_grad()) ((Conv)(dptHead?[4] ?? conv3!)).Bias!.fill_(1);
        mean = tensor(config.Mean).view(1, 3, 1, 1);
        std = tensor(config.Std).view(1, 3, 1, 1);
    }

    // Children are registered by hand under their Hugging Face names; TorchSharp's field reflection would add them twice.
    protected override void RegisterComponents() { }

    static Sequential ReassembleLayer(int hidden, int channels, double factor)
    {
        var projection = new Conv(hidden, channels, 1);
        return factor switch
        {
            > 1 => nn.Sequential(("projection", projection), ("resize", new Conv(channels, channels, (long)factor, stride: (long)factor, transposed: true))),
            1 => nn.Sequential(("projection", projection)),
            _ => nn.Sequential(("projection", projection), ("resize", new Conv(channels, channels, 3, stride: (long)(1 / factor), padding: 1))),
        };
    }

    static void Validate(DptConfig c)
    {
        string? problem =
            c.NeckHiddenSizes.Length != 4 || c.OutLayers.Length != 4 ? "4 out layers and 4 neck hidden sizes" :
            c.OutLayers.Zip(c.OutLayers.Skip(1)).Any(p => p.First >= p.Second) || c.OutLayers[0] < 0 || c.OutLayers[^1] >= c.Layers
                ? $"strictly increasing out layers within 0..{c.Layers - 1}" :
            c.HiddenSize % c.Heads != 0 ? $"hidden size {c.HiddenSize} divisible by {c.Heads} heads" :
            c.ImageSize % c.PatchSize != 0 ? $"image size {c.ImageSize} a multiple of patch size {c.PatchSize}" :
            c.Mean.Length != 3 || c.Std.Length != 3 ? "3 mean and 3 std values" :
            (c.Backbone == DptBackbone.VitHybrid) != (c.Bit is not null) ? "a BiT config exactly when the backbone is VitHybrid" :
            c.Bit is { } bit ? ValidateBit(c, bit) : null;
        if (problem is not null) throw new ArgumentException($"Invalid DptConfig: expected {problem}.", nameof(c));
    }

    static string? ValidateBit(DptConfig c, BitConfig b)
    {
        var o = b.OutIndices;
        var channels = new[] { b.StemChannels }.Concat(b.StageChannels).Concat(b.StageChannels.Select(ch => BitConfig.MakeDivisible(ch * 0.25)));
        return b.Depths.Length == 0 || b.Depths.Length != b.StageChannels.Length || b.Depths.Any(n => n < 1) ? "one or more BiT stages, each with a channel count and at least one block" :
            o.Length != 3 || o[0] < 0 || o[0] >= o[1] || o[1] >= o[2] || o[2] > b.Depths.Length ? $"3 strictly increasing BiT out indices within 0..{b.Depths.Length}" :
            channels.Any(ch => ch % b.Groups != 0) ? $"BiT channels ({b.StemChannels}, stages [{string.Join(", ", b.StageChannels)}] and their quarter-width bottlenecks) divisible by {b.Groups} groups" :
            c.NeckHiddenSizes[0] != b.Channels(o[0]) || c.NeckHiddenSizes[1] != b.Channels(o[1]) ? $"the first two neck hidden sizes equal to the BiT channels {b.Channels(o[0])}, {b.Channels(o[1])}" :
            c.PatchSize != b.Stride(o[2]) ? $"patch size {b.Stride(o[2])}, the resolution divisor of BiT feature map {o[2]}" : null;
    }

    /// <summary>Frames [N,3,H,W] in [-1,1] → relative inverse depth [N,1,H,W] (larger = nearer). Differentiable;
    /// applies the model's own preprocessing (aspect-keeping resize, mean/std) and resizes the prediction back.</summary>
    public override Tensor forward(Tensor frames)
    {
        if (frames.dim() != 4 || frames.shape[1] != 3)
            throw new ArgumentException($"Depth estimator expects frames [N,3,H,W] in [-1,1], got [{string.Join(",", frames.shape)}].", nameof(frames));
        using var scope = NewDisposeScope();
        long h = frames.shape[2], w = frames.shape[3];
        var (th, tw) = Config.ProcessingSize((int)h, (int)w);
        var x = (frames.to(ScalarType.Float32) + 1) / 2;
        if (th != h || tw != w)
            x = F.interpolate(x, [th, tw], mode: InterpolationMode.Bicubic, align_corners: false, antialias: th < h || tw < w);
        x = (x - mean.to(x.device)) / std.to(x.device);
        var depth = Predict(x).unsqueeze(1).to(frames.dtype);
        if (depth.shape[2] != h || depth.shape[3] != w)
            depth = F.interpolate(depth, [h, w], mode: InterpolationMode.Bicubic, align_corners: false);
        return depth.MoveToOuterDisposeScope();
    }

    /// <summary>Depth of a whole video without gradients, <paramref name="chunkSize"/> frames at a time so memory stays
    /// bounded however long the clip is.</summary>
    public Tensor Estimate(Tensor frames, int chunkSize = 8)
    {
        if (chunkSize < 1) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "Chunk size must be at least 1 frame.");
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (long start = 0; start < frames.shape[0]; start += chunkSize)
        {
            using var chunk = frames.narrow(0, start, Math.Min(chunkSize, frames.shape[0] - start));
            parts.Add(forward(chunk));
        }
        var depth = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return depth;
    }

    /// <summary>The reference model's forward on preprocessed pixel values [N,3,h,w] (h, w multiples of the patch size)
    /// → predicted_depth [N,h',w'], as DPTForDepthEstimation / DepthAnythingForDepthEstimation return it.</summary>
    public Tensor Predict(Tensor pixels)
    {
        if (pixels.dim() != 4 || pixels.shape[1] != 3 || pixels.shape[2] % Config.PatchSize != 0 || pixels.shape[3] % Config.PatchSize != 0)
            throw new ArgumentException($"Expected pixel values [N,3,h,w] with h and w multiples of the patch size {Config.PatchSize}, got [{string.Join(",", pixels.shape)}].", nameof(pixels));
        using var scope = NewDisposeScope();
        long b = pixels.shape[0], gh = pixels.shape[2] / Config.PatchSize, gw = pixels.shape[3] / Config.PatchSize;
        Tensor x;
        Tensor[] early = [];
        if (hybridEmbeddings is not null) (x, early) = hybridEmbeddings.Forward(pixels);
        else x = embeddings!.forward(pixels);
        var outLayers = Config.OutLayers[early.Length..];
        var hidden = new List<Tensor>();
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].forward(x);
            if (outLayers.Contains(i)) hidden.Add(Config.Backbone == DptBackbone.Dinov2 ? layernorm.forward(x) : x);
        }

        var features = new Tensor[Config.NeckHiddenSizes.Length];
        for (int i = 0; i < features.Length; i++)
        {
            if (i < early.Length)
            {
                features[i] = convs[i].forward(early[i]);
                continue;
            }
            var state = hidden[i - early.Length];
            var tokens = state[.., 1..];
            if (readoutProjects is not null)
            {
                var readout = state[.., ..1].expand_as(tokens);
                tokens = readoutProjects[i].forward(cat([tokens, readout], -1));
            }
            var map = tokens.reshape(b, gh, gw, -1).permute(0, 3, 1, 2);
            features[i] = convs[i].forward(reassemble[i].forward(map));
        }

        // Fusion runs coarse to fine: start from the deepest, lowest-resolution map.
        Array.Reverse(features);
        bool toNextSize = Config.Backbone == DptBackbone.Dinov2;
        Tensor? fused = null;
        for (int i = 0; i < features.Length; i++)
        {
            long[]? size = toNextSize && i + 1 < features.Length ? [features[i + 1].shape[2], features[i + 1].shape[3]] : null;
            fused = fused is null ? fusion[i].Forward(features[i], null, size) : fusion[i].Forward(fused, features[i], size);
        }

        Tensor depth;
        if (dptHead is not null)
            depth = dptHead.forward(fused!);
        else
        {
            depth = F.interpolate(conv1!.forward(fused!), [gh * Config.PatchSize, gw * Config.PatchSize],
                mode: InterpolationMode.Bilinear, align_corners: true);
            depth = F.relu(conv3!.forward(F.relu(conv2!.forward(depth))));
        }
        return depth.squeeze(1).MoveToOuterDisposeScope();
    }
}
