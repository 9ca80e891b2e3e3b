using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Prior;

namespace Vidiff.Checkpoints.Layouts;

/// <summary>
/// CLIP (paper §4's content embeddings), MiDaS-style depth (§3's structure) and the unCLIP prior (§4) from Hugging Face
/// folders: config.json beside the weights, whose names equal ours, so they load strictly without a key map.
/// </summary>
public static class PretrainedImport
{
    public static ClipModel Clip(string folder) =>
        Load(folder, ["model.safetensors"], cfg => new ClipModel(TransformersConfig.Clip(cfg)));

    /// <summary>
    /// A text-to-image pipeline's text encoder (transformers' CLIPTextModel) as the text tower alone: text_model.* loads
    /// strictly, a text_projection, if the file has one, is left out (the UNet reads the hidden states).
    /// </summary>
    public static ClipTextModel TextEncoder(string folder, ClipTextConfig config)
    {
        var weights = Weights(folder, ["model.safetensors"]);
        var module = EmptyNetwork.Build(() => new ClipTextModel(config, projectionDim: null));
        try
        {
            using var file = new SafetensorsFile(weights);
            KeyMappedLoad.Load(module, file, weights, module.state_dict().Keys.ToDictionary(k => k, k => k), prefix: "text_model.");
            module.eval();
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    public static DptDepthEstimator Depth(string folder) =>
        Load(folder, ["model.safetensors"], cfg => new DptDepthEstimator(TransformersConfig.Depth(cfg)));

    /// <summary>A diffusers pipeline's <c>prior/</c> folder, or the pipeline folder that holds it.</summary>
    public static PriorTransformer Prior(string folder) =>
        Load(Directory.Exists(Path.Combine(folder, "prior")) ? Path.Combine(folder, "prior") : folder,
            [ImageModelImport.DiffusersWeights], cfg => new PriorTransformer(TransformersConfig.Prior(cfg)));

    /// <summary>The weights file of a Hugging Face folder: the first of <paramref name="weightNames"/>, else its only safetensors file.</summary>
    internal static string Weights(string folder, string[] weightNames)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder} is not a folder (expected config.json and {weightNames[0]})");
        return weightNames.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists)
            ?? Directory.EnumerateFiles(folder, "*.safetensors").FirstOrDefault()
            ?? throw new FileNotFoundException($"{folder} has no {weightNames[0]}" +
                (Directory.EnumerateFiles(folder).FirstOrDefault(f => f.EndsWith(".bin", StringComparison.Ordinal)) is { } bin ? $" (only {Path.GetFileName(bin)}, a pickle: convert it)" : ""));
    }

    static T Load<T>(string folder, string[] weightNames, Func<string, T> build) where T : TorchSharp.torch.nn.Module
    {
        var weights = Weights(folder, weightNames);
        var module = EmptyNetwork.Build(() => build(Path.Combine(folder, "config.json")));
        try
        {
            ModuleWeights.Load(module, weights);
            module.eval();
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }
}
