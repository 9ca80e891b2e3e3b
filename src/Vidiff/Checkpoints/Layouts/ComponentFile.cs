using System.Text.Json;
using TorchSharp;

namespace Vidiff.Checkpoints.Layouts;

/// <summary>
/// One imported network as a model-folder weights file. Its config record travels in the file's metadata
/// (<c>vidiff.config</c>) so the file can be run on its own (<c>vidiff debug forward</c>) before vidiff.json is written.
/// </summary>
public static class ComponentFile
{
    public const string ComponentKey = "vidiff.component", ConfigKey = "vidiff.config";

    public static void Save<TConfig>(torch.nn.Module module, string path, string component, TConfig config) =>
        ModuleWeights.Save(module, path, metadata: new Dictionary<string, string>
        {
            [ComponentKey] = component,
            [ConfigKey] = JsonSerializer.Serialize(config),
        });

    public static TConfig Config<TConfig>(string path)
    {
        using var file = new SafetensorsFile(path);
        if (!file.Metadata.TryGetValue(ConfigKey, out var json))
            throw new CheckpointFormatException($"Weights file {path} has no \"{ConfigKey}\" metadata; it was not written by vidiff import");
        return JsonSerializer.Deserialize<TConfig>(json) ?? throw new CheckpointFormatException($"Weights file {path}: \"{ConfigKey}\" is null");
    }
}
