using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints.Layouts;

/// <summary>
/// Loads a module from a file in another layout through a key map (our name → the file's name). Strict like
/// <see cref="ModuleWeights.Load"/>: every mapped key must be present with our shape, and every file key under the
/// component's prefix must be used; errors name the file's keys.
/// </summary>
public static class KeyMappedLoad
{
    const int Listed = 20;

    /// <param name="keys">Our parameter or buffer name → the file's key; our tensors not in the map are left as they are.</param>
    /// <param name="prefix">File keys starting with it belong to this component (others, e.g. the text encoder of a single file, are ignored).</param>
    /// <param name="widen">Our names whose dim 1 may be wider than the file's: the stored part loads, the rest is zero (paper §3.2).</param>
    public static void Load(nn.Module module, SafetensorsFile file, string path, IReadOnlyDictionary<string, string> keys, string prefix = "",
        IReadOnlySet<string>? widen = null)
    {
        if (Mismatch(module, file, keys, prefix, widen) is { } mismatch)
            throw new CheckpointMismatchException($"Weights file {path} does not match {module.GetName()}:{mismatch}");
        var state = module.state_dict();
        using var _ = no_grad();
        foreach (var (ours, theirs) in keys)
        {
            var target = state[ours];
            var stored = file[theirs].Shape;
            if (stored.Length == target.dim() && stored.Length > 1 && stored[1] < target.shape[1])
            {
                // A widened input (paper §3.2): the stored channels load, the new ones start at zero.
                using var source = file.Read(theirs, target.dtype);
                target.zero_();
                using var part = target.narrow(1, 0, stored[1]);
                part.copy_(source);
            }
            else file.ReadInto(theirs, target); // same shape, or LDM's [C, C, 1, 1] into our [C, C]: same bytes
        }
    }

    /// <summary>The missing, unexpected and mis-shaped keys (the file's names), one list per line; null when the file fits.</summary>
    public static string? Mismatch(nn.Module module, SafetensorsFile file, IReadOnlyDictionary<string, string> keys, string prefix = "",
        IReadOnlySet<string>? widen = null)
    {
        var state = module.state_dict();
        var fileKeys = file.Keys.ToHashSet();
        var missing = keys.Values.Where(k => !fileKeys.Contains(k)).Order(StringComparer.Ordinal).ToList();
        var used = keys.Values.ToHashSet();
        var unexpected = fileKeys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        var shapes = keys.Where(kv => fileKeys.Contains(kv.Value) && !Fits(state[kv.Key].shape, file[kv.Value].Shape, widen?.Contains(kv.Key) == true))
            .Select(kv => $"{kv.Value}: file [{string.Join(", ", file[kv.Value].Shape)}], {kv.Key} needs [{string.Join(", ", state[kv.Key].shape)}]")
            .Order(StringComparer.Ordinal).ToList();
        return missing.Count + unexpected.Count + shapes.Count == 0 ? null
            : List("missing keys", missing) + List("unexpected keys", unexpected) + List("shape mismatches", shapes);
    }

    /// <summary>Same shape; or a 1×1 convolution stored for a linear layer (LDM's autoencoder attention); or a widened input.</summary>
    static bool Fits(long[] ours, long[] theirs, bool widen)
    {
        if (ours.SequenceEqual(theirs)) return true;
        if (theirs.Length > ours.Length && theirs.Take(ours.Length).SequenceEqual(ours) && theirs.Skip(ours.Length).All(d => d == 1)) return true;
        return widen && ours.Length == theirs.Length && ours.Length > 1 && theirs[1] < ours[1]
            && ours.Where((d, i) => i != 1).SequenceEqual(theirs.Where((d, i) => i != 1));
    }

    static string List(string kind, List<string> names) => names.Count == 0 ? "" :
        $"\n  {names.Count} {kind}: {string.Join(", ", names.Take(Listed))}{(names.Count > Listed ? $", … ({names.Count - Listed} more)" : "")}";
}
