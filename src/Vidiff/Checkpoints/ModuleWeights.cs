using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints;

/// <summary>A module's parameters and persistent buffers saved to, and loaded in place from, a safetensors file.</summary>
public static class ModuleWeights
{
    const int ListedPerKind = 20;

    /// <summary>Saves the state dict; floating-point tensors are converted to <paramref name="dtype"/> if given.</summary>
    public static void Save(nn.Module module, string path, ScalarType? dtype = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        var tensors = module.state_dict().ToDictionary(
            kv => kv.Key,
            kv => dtype is { } t && kv.Value.is_floating_point() ? kv.Value.to_type(t) : kv.Value);
        Safetensors.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Reads every stored tensor into the module's existing parameter or buffer (converted to its dtype), one at a time.
    /// Shape mismatches always throw; missing and unexpected keys throw when <paramref name="strict"/>.
    /// </summary>
    public static void Load(nn.Module module, string path, bool strict = true)
    {
        SafetensorsFile.RefusePickle(path);
        using var file = new SafetensorsFile(path);
        var state = module.state_dict();
        var missing = state.Keys.Where(k => !file.Keys.Contains(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = file.Keys.Where(k => !state.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var shapes = state.Where(kv => file.Keys.Contains(kv.Key) && !kv.Value.shape.SequenceEqual(file[kv.Key].Shape))
            .Select(kv => $"{kv.Key}: module [{string.Join(", ", kv.Value.shape)}], file [{string.Join(", ", file[kv.Key].Shape)}]")
            .Order(StringComparer.Ordinal).ToList();
        if (shapes.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new CheckpointMismatchException($"Weights file {path} does not match {module.GetName()}:"
                + List("missing keys", strict ? missing : []) + List("unexpected keys", strict ? unexpected : []) + List("shape mismatches", shapes));

        using var _ = no_grad();
        foreach (var (key, target) in state)
        {
            if (file.Keys.Contains(key)) file.ReadInto(key, target);
        }
    }

    static string List(string kind, List<string> names) => names.Count == 0 ? "" :
        $"\n  {names.Count} {kind}: {string.Join(", ", names.Take(ListedPerKind))}{(names.Count > ListedPerKind ? $", … ({names.Count - ListedPerKind} more)" : "")}";
}
