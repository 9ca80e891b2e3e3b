using Vidiff.Checkpoints;
using Vidiff.Cli.Commands;

namespace Vidiff.Cli.Studio;

/// <summary>
/// The models a job may name: every folder with a vidiff.json under --models, by folder name, and the bundled model as
/// "mini" when no folder of that name is there. Workers resolve a job's name with their own catalogue, so on another
/// machine the same names must be there.
/// </summary>
public sealed class ModelCatalog(string? folder)
{
    public const string Bundled = "mini";

    /// <param name="Content">What the model's UNet reads: a text-state model takes prompts only.</param>
    public sealed record Entry(string Name, string Path, string Title, int Width, int Height, int StructureLevels, ModelConfig.EditDefaults Defaults,
        ModelConfig.ContentKind Content);

    public IReadOnlyList<Entry> List()
    {
        var entries = new List<Entry>();
        if (folder is not null && Directory.Exists(folder))
            foreach (var dir in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
                if (File.Exists(System.IO.Path.Combine(dir, ModelFolder.ConfigFile)) && Describe(System.IO.Path.GetFileName(dir), dir) is { } entry)
                    entries.Add(entry);
        if (entries.All(e => e.Name != Bundled) && CommandOptions.FindBundled(System.IO.Path.Combine("models", Bundled)) is { } bundled
            && Describe(Bundled, bundled) is { } mini)
            entries.Insert(0, mini with { Title = mini.Title + " (bundled)" });
        return entries;
    }

    public Entry? Find(string name) => List().FirstOrDefault(e => e.Name == name);

    static Entry? Describe(string name, string dir)
    {
        try
        {
            var config = ModelFolder.ReadConfig(dir);
            return new Entry(name, dir, config.Name, config.Width, config.Height, config.StructureLevels, config.Defaults, config.Content);
        }
        catch (Exception e) when (CommandErrors.IsUserError(e))
        {
            return null; // a folder whose vidiff.json does not read is not offered
        }
    }
}
