using Vidiff.Autoencoder;
using Vidiff.Nn;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Checkpoints.Layouts;

/// <summary>
/// Stable Diffusion's autoencoder and image UNet into Vidiff (paper §3.2): the spatial weights load exactly; the temporal
/// layers keep their identity initialisation (zero output projections); a structure input channel the image model lacks
/// starts at zero. So at import the video model's output equals the image model's on every frame.
/// </summary>
public static class ImageModelImport
{
    public const string DiffusersWeights = "diffusion_pytorch_model.safetensors";

    /// <summary>The parameters a Vidiff UNet shares with the image UNet: all but the temporal layers of paper §2.</summary>
    public static List<string> SpatialKeys(SpatioTemporalUnet net) =>
        net.state_dict().Keys.Where(k => !SpatioTemporalUnet.IsTemporal(k) && !k.StartsWith("content_proj.", StringComparison.Ordinal)).ToList();

    /// <summary>The spatial weights from the image checkpoint; the temporal layers as freshly constructed (identity).</summary>
    public static void LoadUnet(SpatioTemporalUnet net, SafetensorsFile file, string path, bool ldm)
    {
        var ours = SpatialKeys(net);
        var keys = ldm ? LdmStableDiffusion.UnetKeys(ours, net.Config) : ours.ToDictionary(k => k, k => k);
        KeyMappedLoad.Load(net, file, path, keys, ldm ? LdmStableDiffusion.UnetPrefix : "", widen: new HashSet<string> { "conv_in.weight" });
        var initialised = InitialiseTemporalLayers(net);
        if (net.state_dict().Keys.FirstOrDefault(k => !keys.ContainsKey(k) && !initialised.Contains(k)) is { } left)
            throw new InvalidOperationException($"UNet parameter {left} is neither in an image checkpoint nor in a temporal layer");
    }

    /// <summary>
    /// The temporal layers of paper §2 the image checkpoint lacks, set to a freshly constructed layer's values (zero output
    /// projections: the identity, §3.2), one layer at a time: the network itself may have been built without initialisation.
    /// Head and group counts do not change a layer's initial values, only its shapes matter.
    /// </summary>
    static HashSet<string> InitialiseTemporalLayers(SpatioTemporalUnet net)
    {
        var state = net.state_dict();
        var written = new HashSet<string>();
        using var _ = no_grad();
        foreach (var (name, module) in net.named_modules().Where(m => m.module is TemporalConvolution or TemporalAttention))
        {
            // Layer constructors leave temporaries (e.g. the tensor a parameter wraps) that share its storage: freed here, not by the GC.
            using var scope = NewDisposeScope();
            long Rows(string key) => state[$"{name}.{key}"].shape[0];
            using nn.Module fresh = module is TemporalConvolution
                ? new TemporalConvolution((int)Rows("conv.weight"), 1)
                : new TemporalAttention((int)Rows("proj_in.weight"), 1, 1, (int)Rows("frame_pos"));
            foreach (var (key, value) in fresh.state_dict())
            {
                state[$"{name}.{key}"].copy_(value);
                written.Add($"{name}.{key}");
            }
        }
        return written;
    }

    public static void LoadAutoencoder(AutoencoderKL vae, SafetensorsFile file, string path, bool ldm)
    {
        var ours = vae.state_dict().Keys.ToList();
        var keys = ldm ? LdmStableDiffusion.AutoencoderKeys(ours, vae.Config) : ours.ToDictionary(k => k, k => DeprecatedAttentionName(k, file));
        KeyMappedLoad.Load(vae, file, path, keys, ldm ? LdmStableDiffusion.AutoencoderPrefix : "");
    }

    /// <summary>
    /// Older diffusers wrote the autoencoder's attention as query, key, value and proj_attn (many published vae/ folders
    /// still do); today's names are to_q, to_k, to_v and to_out.0 (diffusers' _convert_deprecated_attention_blocks).
    /// </summary>
    static string DeprecatedAttentionName(string ours, SafetensorsFile file)
    {
        if (file.Keys.Contains(ours)) return ours;
        foreach (var (current, deprecated) in new[] { (".to_q.", ".query."), (".to_k.", ".key."), (".to_v.", ".value."), (".to_out.0.", ".proj_attn.") })
            if (ours.Contains(current, StringComparison.Ordinal) && ours.Replace(current, deprecated, StringComparison.Ordinal) is var old && file.Keys.Contains(old)) return old;
        return ours;
    }

    /// <summary>The UNet of a single-file Stable Diffusion checkpoint, its shape inferred (see <see cref="LdmStableDiffusion.InferUnet"/>).</summary>
    public static SpatioTemporalUnet UnetFromSingleFile(string path, int normGroups = 32, int? heads = null, int? headDim = null, ScalarType dtype = ScalarType.Float32)
    {
        using var file = new SafetensorsFile(path);
        var config = LdmStableDiffusion.InferUnet(file, normGroups, heads, headDim);
        var net = EmptyNetwork.Build(() => new SpatioTemporalUnet(config), dtype);
        return Loaded(net, () => LoadUnet(net, file, path, ldm: true));
    }

    public static AutoencoderKL AutoencoderFromSingleFile(string path, int normGroups = 32, ScalarType dtype = ScalarType.Float32)
    {
        using var file = new SafetensorsFile(path);
        var config = LdmStableDiffusion.InferAutoencoder(file, normGroups);
        var vae = EmptyNetwork.Build(() => new AutoencoderKL(config), dtype);
        return Loaded(vae, () => LoadAutoencoder(vae, file, path, ldm: true));
    }

    /// <summary>The UNet of a diffusers folder's <c>unet/</c> (config.json + diffusion_pytorch_model.safetensors).</summary>
    public static SpatioTemporalUnet UnetFromDiffusers(string unetDir, ScalarType dtype = ScalarType.Float32)
    {
        var path = Path.Combine(unetDir, DiffusersWeights);
        var config = DiffusersConfig.Unet(Path.Combine(unetDir, "config.json"));
        var net = EmptyNetwork.Build(() => new SpatioTemporalUnet(config), dtype);
        using var file = new SafetensorsFile(path);
        return Loaded(net, () => LoadUnet(net, file, path, ldm: false));
    }

    public static AutoencoderKL AutoencoderFromDiffusers(string vaeDir, ScalarType dtype = ScalarType.Float32)
    {
        var path = Path.Combine(vaeDir, DiffusersWeights);
        var config = DiffusersConfig.Autoencoder(Path.Combine(vaeDir, "config.json"));
        var vae = EmptyNetwork.Build(() => new AutoencoderKL(config), dtype);
        using var file = new SafetensorsFile(path);
        return Loaded(vae, () => LoadAutoencoder(vae, file, path, ldm: false));
    }

    static T Loaded<T>(T module, Action load) where T : nn.Module
    {
        try
        {
            load();
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
