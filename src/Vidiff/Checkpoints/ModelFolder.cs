using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using Vidiff.Autoencoder;
using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Nn;
using Vidiff.Prior;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints;

/// <summary>
/// A model as a folder (design.md): <c>vidiff.json</c> (<see cref="ModelConfig"/>), one safetensors file per network
/// and the CLIP tokenizer's <c>vocab.json</c> and <c>merges.txt</c>. A text-state model (<see cref="ModelConfig.ContentKind"/>)
/// has no prior, and its clip.safetensors holds the text tower only.
/// </summary>
public sealed class ModelFolder : IDisposable
{
    public const string ConfigFile = "vidiff.json";
    public const string AutoencoderFile = "autoencoder.safetensors", UnetFile = "unet.safetensors", ClipFile = "clip.safetensors",
        PriorFile = "prior.safetensors", DepthFile = "depth.safetensors";
    public const string TokenizerFolder = "tokenizer";
    public const string VocabFile = TokenizerFolder + "/vocab.json", MergesFile = TokenizerFolder + "/merges.txt";
    const string IdentityCache = ".identity.json";

    /// <summary>The weights files, one per network.</summary>
    public static IReadOnlyList<string> WeightFiles { get; } = [AutoencoderFile, UnetFile, ClipFile, PriorFile, DepthFile];

    /// <summary>Every file a model folder must hold.</summary>
    public static IReadOnlyList<string> Files { get; } = [ConfigFile, .. WeightFiles, VocabFile, MergesFile];

    /// <summary>The files a folder of <paramref name="config"/> must hold: all but the prior's for a text-state model.</summary>
    public static IReadOnlyList<string> FilesOf(ModelConfig config) => config.HasPrior ? Files : [.. Files.Where(f => f != PriorFile)];

    public ModelConfig Config { get; }
    public AutoencoderKL Autoencoder { get; }
    public SpatioTemporalUnet Unet { get; }

    /// <summary>Both CLIP towers; null for a text-state model, which has the text tower only.</summary>
    public ClipModel? Clip { get; }

    /// <summary>CLIP's text tower (<see cref="Clip"/>'s, or a text-state model's own).</summary>
    public ClipTextModel Text { get; }

    /// <summary>
    /// The prior's network: a <see cref="PriorTransformer"/> or a <see cref="RegressionPrior"/> (<see cref="ModelConfig.PriorType"/>);
    /// null for a text-state model.
    /// </summary>
    public nn.Module? Prior { get; }
    public DptDepthEstimator Depth { get; }
    public ClipTokenizer Tokenizer { get; }

    /// <summary>Where the networks are: inputs go here, and every tensor the pipelines make follows them.</summary>
    public Device Device => Unet.parameters().First().device;

    ModelFolder(ModelConfig config, ClipTokenizer tokenizer, Func<string, nn.Module> build)
    {
        Config = config;
        Tokenizer = tokenizer;
        Autoencoder = (AutoencoderKL)build(AutoencoderFile);
        Unet = (SpatioTemporalUnet)build(UnetFile);
        var clip = build(ClipFile);
        Clip = clip as ClipModel;
        Text = Clip?.Text ?? (ClipTextModel)clip;
        Prior = config.HasPrior ? build(PriorFile) : null;
        Depth = (DptDepthEstimator)build(DepthFile);
    }

    /// <summary>A fresh network for one weights file of a folder of <paramref name="config"/> (<see cref="AutoencoderFile"/>, …).</summary>
    public static nn.Module Network(ModelConfig config, string file) => file switch
    {
        AutoencoderFile => new AutoencoderKL(config.Autoencoder),
        UnetFile => new SpatioTemporalUnet(config.Unet),
        ClipFile => config.HasPrior ? new ClipModel(config.Clip) : new ClipTextModel(config.Clip.Text, projectionDim: null),
        PriorFile when !config.HasPrior => throw new ArgumentException($"Model {config.Name} reads text states and has no prior.", nameof(file)),
        PriorFile => config.PriorType == ModelConfig.PriorKind.Diffusion
            ? new PriorTransformer(config.Prior)
            : new RegressionPrior(config.Prior.EmbeddingDim, config.Prior.InnerDim),
        DepthFile => new DptDepthEstimator(config.Depth),
        _ => throw new ArgumentException($"{file} is not a model folder weights file ({string.Join(", ", WeightFiles)})", nameof(file)),
    };

    /// <summary>Reads a folder's vidiff.json (validated), naming the folder if it has none.</summary>
    public static ModelConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model folder {directory} has no {ConfigFile} (vidiff import and vidiff model new write it).", path);
        return ModelConfig.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Each network with its weights file.</summary>
    public IEnumerable<(string File, nn.Module Module)> Networks =>
        new (string File, nn.Module? Module)[] { (AutoencoderFile, Autoencoder), (UnetFile, Unet), (ClipFile, Clip ?? (nn.Module)Text), (PriorFile, Prior), (DepthFile, Depth) }
            .Where(n => n.Module is not null).Select(n => (n.File, n.Module!));

    /// <summary>A randomly initialised model of <paramref name="config"/> (for tests, benchmarks and as the start of training).</summary>
    public static ModelFolder Create(ModelConfig config, ClipTokenizer tokenizer, long seed = 0)
    {
        config.Validate(config.Name);
        torch.random.manual_seed(seed);
        var model = new ModelFolder(config, tokenizer, file => Network(config, file));
        model.ForInference();
        return model;
    }

    /// <summary>
    /// Loads a model folder in <paramref name="dtype"/>, each network built without initialisation (<see cref="EmptyNetwork"/>:
    /// not while other threads build modules) and read from its file converted tensor by tensor, so the peak memory is the
    /// networks in <paramref name="dtype"/>. Everything is checked before any network is built: a missing
    /// file or an inconsistent config fails naming the file; a weight file that does not match the config fails naming
    /// the file and key (strict loading). The networks are read into CPU memory and then moved to <paramref name="device"/>
    /// (the CPU if null), each whole, so a GPU's memory holds them once too.
    /// </summary>
    public static ModelFolder Load(string directory, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (File.Exists(directory))
            throw new IOException($"Model folder {directory} is a file; expected a folder holding {ConfigFile} and the weights (vidiff model new and vidiff import make one).");
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Model folder {directory} does not exist.");
        var configPath = Path.Combine(directory, ConfigFile);
        var config = File.Exists(configPath) ? ModelConfig.FromJson(File.ReadAllText(configPath), configPath) : null;
        var missing = (config is null ? Files : FilesOf(config)).Where(f => !File.Exists(Path.Combine(directory, f))).ToList();
        if (missing.Count > 0 || config is null)
            throw new FileNotFoundException($"Model folder {directory} is missing {string.Join(", ", missing)}.", Path.Combine(directory, missing[0]));
        var tokenizer = ClipTokenizer.Load(Path.Combine(directory, TokenizerFolder));

        // Built without initialisation, in the final dtype: the strict load writes every tensor.
        var model = new ModelFolder(config, tokenizer, file => EmptyNetwork.Build(() => Network(config, file), dtype));
        try
        {
            foreach (var (file, module) in model.Networks)
            {
                ModuleWeights.Load(module, Path.Combine(directory, file), strict: true);
                if (device is not null && device.type != DeviceType.CPU) module.to(device);
            }
            model.ForInference();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Writes the folder into a temporary sibling and renames it into place, so a failed save leaves nothing.</summary>
    public void Save(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (System.IO.Directory.Exists(full) && System.IO.Directory.EnumerateFileSystemEntries(full).Any())
            throw new IOException($"{directory} already exists and is not empty.");
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}");
        if (System.IO.Directory.Exists(temp)) System.IO.Directory.Delete(temp, recursive: true);
        using var cleanup = Runtime.Shutdown.Temporary(temp); // gone on failure, on a signal, and once moved into place
        System.IO.Directory.CreateDirectory(temp);
        File.WriteAllText(Path.Combine(temp, ConfigFile), Config.ToJson());
        foreach (var (file, module) in Networks) ModuleWeights.Save(module, Path.Combine(temp, file));
        Tokenizer.Save(Path.Combine(temp, TokenizerFolder));
        if (System.IO.Directory.Exists(full)) System.IO.Directory.Delete(full); // empty: checked above; not recursive
        Runtime.Posix.Rename(temp, full, replace: false);
    }

    /// <summary>
    /// The model's identity for reproducibility records: SHA-256 over vidiff.json, the tokenizer and every weight
    /// file's SHA-256. File hashes are cached in the folder by (size, modification time), since full-size weights take
    /// seconds to hash; a read-only folder simply hashes every time.
    /// </summary>
    public static string Identity(string directory)
    {
        var cachePath = Path.Combine(directory, IdentityCache);
        Dictionary<string, CachedHash> cache;
        try
        {
            cache = File.Exists(cachePath) ? JsonSerializer.Deserialize<Dictionary<string, CachedHash>>(File.ReadAllText(cachePath)) ?? [] : [];
        }
        catch (JsonException)
        {
            cache = [];
        }
        bool changed = false;
        var all = new StringBuilder();
        foreach (var file in FilesOf(ReadConfig(directory)))
        {
            var info = new FileInfo(Path.Combine(directory, file));
            if (!info.Exists) throw new FileNotFoundException($"Model folder {directory} is missing {file}.", info.FullName);
            long ticks = info.LastWriteTimeUtc.Ticks;
            if (!cache.TryGetValue(file, out var hash) || hash.Length != info.Length || hash.Ticks != ticks)
            {
                using var stream = info.OpenRead();
                cache[file] = hash = new CachedHash(info.Length, ticks, Convert.ToHexStringLower(SHA256.HashData(stream)));
                changed = true;
            }
            all.Append(file).Append(' ').Append(hash.Sha256).Append('\n');
        }
        if (changed)
        {
            try
            {
                File.WriteAllText(cachePath, JsonSerializer.Serialize(cache));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A read-only model folder: hash again next time.
            }
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(all.ToString())));
    }

    sealed record CachedHash(long Length, long Ticks, string Sha256);

    /// <summary>Evaluation mode, and convolutions channels-last (<see cref="Conv.UseChannelsLast"/>): a folder's
    /// networks are run, never trained (training builds its own).</summary>
    void ForInference()
    {
        foreach (var (_, module) in Networks)
        {
            module.eval();
            Conv.UseChannelsLast(module);
        }
    }

    public void Dispose()
    {
        foreach (var (_, module) in Networks) module.Dispose();
    }
}
