using System.CommandLine;
using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Depth;
using Vidiff.Unet;

namespace Vidiff.Cli.Commands;

/// <summary><c>vidiff inspect</c>: a weights file's layout, tensors, and how its keys match our networks.</summary>
static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A .safetensors file (pickle files are refused)." };
        var groups = new Option<int>("--norm-groups") { Description = "Group-norm groups for the key check of Stable Diffusion files.", DefaultValueFactory = _ => 32 };
        var command = new Command("inspect", "Name the layout of a weights file, list its tensors, and list missing and unexpected keys against our model.") { file, groups };
        command.SetAction(p => ImportCommand.Guard(() => Run(p.GetValue(file)!, p.GetValue(groups))));
        return command;
    }

    static int Run(string path, int groups)
    {
        using var file = new SafetensorsFile(path);
        var layout = LayoutDetection.Detect(file);
        Console.WriteLine($"{path}: {LayoutDetection.Describe(layout)}, {file.Keys.Count} tensors");
        int width = file.Keys.Max(k => k.Length);
        foreach (var key in file.Keys.Order(StringComparer.Ordinal))
            Console.WriteLine($"  {key.PadRight(width)}  {file[key].DType,-9} [{string.Join(", ", file[key].Shape)}]");

        int code = 0;
        foreach (var (name, check) in Checks(file, path, layout, groups))
        {
            string? mismatch;
            try
            {
                mismatch = check();
            }
            catch (Exception e) when (e is CheckpointMismatchException or ArgumentException)
            {
                mismatch = "\n  " + e.Message;
            }
            Console.WriteLine(mismatch is null ? $"{name}: every key matches" : $"{name}: does not match our model:{mismatch}");
            if (mismatch is not null) code = 1;
        }
        return code;
    }

    static IEnumerable<(string Name, Func<string?> Check)> Checks(SafetensorsFile file, string path, CheckpointLayout layout, int groups)
    {
        var beside = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var configBeside = Path.Combine(beside, "config.json");
        // A model folder's weights file: checked against its section of vidiff.json.
        if (ModelFolder.WeightFiles.Contains(Path.GetFileName(path)) && File.Exists(Path.Combine(beside, ModelFolder.ConfigFile)))
        {
            yield return (Path.GetFileNameWithoutExtension(path), () =>
            {
                using var module = ModelFolder.Network(ModelFolder.ReadConfig(beside), Path.GetFileName(path));
                return KeyMappedLoad.Mismatch(module, file, Same(module.state_dict().Keys));
            }
            );
            yield break;
        }
        switch (layout)
        {
            case CheckpointLayout.StableDiffusionSingleFile:
                if (file.Keys.Any(k => k.StartsWith(LdmStableDiffusion.UnetPrefix, StringComparison.Ordinal)))
                    yield return ("UNet", () => Unet(LdmStableDiffusion.InferUnet(file, groups), net =>
                        LdmStableDiffusion.UnetKeys(ImageModelImport.SpatialKeys(net), net.Config), file, LdmStableDiffusion.UnetPrefix));
                if (file.Keys.Any(k => k.StartsWith(LdmStableDiffusion.AutoencoderPrefix, StringComparison.Ordinal)))
                    yield return ("autoencoder", () => Autoencoder(LdmStableDiffusion.InferAutoencoder(file, groups), vae =>
                        LdmStableDiffusion.AutoencoderKeys(vae.state_dict().Keys, vae.Config), file, LdmStableDiffusion.AutoencoderPrefix));
                break;
            case CheckpointLayout.DiffusersUnet when File.Exists(configBeside):
                yield return ("UNet", () => Unet(DiffusersConfig.Unet(configBeside), net => Same(ImageModelImport.SpatialKeys(net)), file, ""));
                break;
            case CheckpointLayout.DiffusersAutoencoder when File.Exists(configBeside):
                yield return ("autoencoder", () => Autoencoder(DiffusersConfig.Autoencoder(configBeside), vae => Same(vae.state_dict().Keys), file, ""));
                break;
            case CheckpointLayout.TransformersDpt or CheckpointLayout.TransformersDptHybrid or CheckpointLayout.TransformersDepthAnything when File.Exists(configBeside):
                yield return ("depth estimator", () => Depth(TransformersConfig.Depth(configBeside), file));
                break;
            default:
                Console.WriteLine($"key check: no config for this file (diffusers keep config.json beside the weights, model folders {ModelFolder.ConfigFile}), skipped");
                break;
        }
    }

    static Dictionary<string, string> Same(IEnumerable<string> keys) => keys.ToDictionary(k => k, k => k);

    static string? Unet(UnetConfig config, Func<SpatioTemporalUnet, Dictionary<string, string>> keys, SafetensorsFile file, string prefix)
    {
        using var net = new SpatioTemporalUnet(config);
        return KeyMappedLoad.Mismatch(net, file, keys(net), prefix, new HashSet<string> { "conv_in.weight" });
    }

    static string? Depth(DptConfig config, SafetensorsFile file)
    {
        using var net = new DptDepthEstimator(config);
        return KeyMappedLoad.Mismatch(net, file, Same(net.state_dict().Keys));
    }

    static string? Autoencoder(AutoencoderConfig config, Func<AutoencoderKL, Dictionary<string, string>> keys, SafetensorsFile file, string prefix)
    {
        using var vae = new AutoencoderKL(config);
        return KeyMappedLoad.Mismatch(vae, file, keys(vae), prefix);
    }
}
