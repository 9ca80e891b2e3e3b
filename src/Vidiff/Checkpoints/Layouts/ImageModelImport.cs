using Vidiff.Autoencoder;
using Vidiff.Unet;

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
        net.state_dict().Keys.Where(k => !k.Contains("temp_", StringComparison.Ordinal) && !k.StartsWith("content_proj.", StringComparison.Ordinal)).ToList();

    public static void LoadUnet(SpatioTemporalUnet net, SafetensorsFile file, string path, bool ldm)
    {
        var ours = SpatialKeys(net);
        var keys = ldm ? LdmStableDiffusion.UnetKeys(ours, net.Config) : ours.ToDictionary(k => k, k => k);
        KeyMappedLoad.Load(net, file, path, keys, ldm ? LdmStableDiffusion.UnetPrefix : "", widen: new HashSet<string> { "conv_in.weight" });
    }

    public static void LoadAutoencoder(AutoencoderKL vae, SafetensorsFile file, string path, bool ldm)
    {
        var ours = vae.state_dict().Keys.ToList();
        var keys = ldm ? LdmStableDiffusion.AutoencoderKeys(ours, vae.Config) : ours.ToDictionary(k => k, k => k);
        KeyMappedLoad.Load(vae, file, path, keys, ldm ? LdmStableDiffusion.AutoencoderPrefix : "");
    }

    /// <summary>The UNet of a single-file Stable Diffusion checkpoint, its shape inferred (see <see cref="LdmStableDiffusion.InferUnet"/>).</summary>
    public static SpatioTemporalUnet UnetFromSingleFile(string path, int normGroups = 32, int? heads = null, int? headDim = null)
    {
        using var file = new SafetensorsFile(path);
        var net = new SpatioTemporalUnet(LdmStableDiffusion.InferUnet(file, normGroups, heads, headDim));
        return Loaded(net, () => LoadUnet(net, file, path, ldm: true));
    }

    public static AutoencoderKL AutoencoderFromSingleFile(string path, int normGroups = 32)
    {
        using var file = new SafetensorsFile(path);
        var vae = new AutoencoderKL(LdmStableDiffusion.InferAutoencoder(file, normGroups));
        return Loaded(vae, () => LoadAutoencoder(vae, file, path, ldm: true));
    }

    /// <summary>The UNet of a diffusers folder's <c>unet/</c> (config.json + diffusion_pytorch_model.safetensors).</summary>
    public static SpatioTemporalUnet UnetFromDiffusers(string unetDir)
    {
        var path = Path.Combine(unetDir, DiffusersWeights);
        var net = new SpatioTemporalUnet(DiffusersConfig.Unet(Path.Combine(unetDir, "config.json")));
        using var file = new SafetensorsFile(path);
        return Loaded(net, () => LoadUnet(net, file, path, ldm: false));
    }

    public static AutoencoderKL AutoencoderFromDiffusers(string vaeDir)
    {
        var path = Path.Combine(vaeDir, DiffusersWeights);
        var vae = new AutoencoderKL(DiffusersConfig.Autoencoder(Path.Combine(vaeDir, "config.json")));
        using var file = new SafetensorsFile(path);
        return Loaded(vae, () => LoadAutoencoder(vae, file, path, ldm: false));
    }

    static T Loaded<T>(T module, Action load) where T : TorchSharp.torch.nn.Module
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
