using System.CommandLine;
using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Clip;
using Vidiff.Unet;

namespace Vidiff.Cli.Commands;

/// <summary><c>vidiff import</c>: public checkpoints into a model folder's weights files (docs/import.md).</summary>
static class ImportCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from")
        {
            Description = "Layout of PATH: sd (single-file Stable Diffusion), diffusers (pipeline folder with unet/, vae/, prior/), "
            + "clip (transformers CLIPModel folder), dpt (transformers DPT, DPT-Hybrid or Depth Anything folder), prior (diffusers PriorTransformer folder).",
            Required = true
        };
        from.AcceptOnlyFromAmong("sd", "diffusers", "clip", "dpt", "prior");
        var path = new Argument<string>("PATH") { Description = "Checkpoint file (.safetensors) or folder." };
        var into = new Option<string>("--into") { Description = "Model folder to create or complete.", Required = true };
        var groups = new Option<int>("--norm-groups") { Description = "Group-norm groups (not stored in the weights; Stable Diffusion: 32).", DefaultValueFactory = _ => 32 };
        var heads = new Option<int?>("--heads") { Description = "Attention heads per transformer (not stored; default by version: SD 1.x 8 heads, SD 2.x 64-wide heads)." };
        var headDim = new Option<int?>("--head-dim") { Description = "Width per attention head instead of a head count." };
        var command = new Command("import", "Import public weights (paper §3.2: spatial weights exact, temporal layers identity, structure channel zero).")
        {
            path, from, into, groups, heads, headDim,
        };
        command.SetAction(p => Guard(() => Run(p.GetValue(from)!, p.GetValue(path)!, p.GetValue(into)!, p.GetValue(groups), p.GetValue(heads), p.GetValue(headDim))));
        return command;
    }

    static void Run(string from, string path, string into, int groups, int? heads, int? headDim)
    {
        Directory.CreateDirectory(into);
        switch (from)
        {
            case "clip":
                using (var clip = PretrainedImport.Clip(path)) Write(clip, "clip", clip.Config, into);
                // Hugging Face CLIP folders carry the tokenizer beside the weights; the model folder keeps it in tokenizer/.
                if (File.Exists(Path.Combine(path, "vocab.json")) && File.Exists(Path.Combine(path, "merges.txt")))
                {
                    ClipTokenizer.Load(path).Save(Path.Combine(into, "tokenizer"));
                    Console.WriteLine($"{Path.Combine(into, "tokenizer")}: vocab.json, merges.txt");
                }
                return;
            case "dpt":
                using (var depth = PretrainedImport.Depth(path)) Write(depth, "depth", depth.Config, into);
                return;
            case "prior":
                using (var prior = PretrainedImport.Prior(path)) Write(prior, "prior", prior.Config, into);
                return;
        }
        if (from == "sd")
        {
            if (Directory.Exists(path)) throw new ArgumentException($"{path} is a folder; --from sd takes a single .safetensors file (use --from diffusers for a folder)");
            // A single file may hold the UNet, the autoencoder or both (the text encoder is CLIP's, imported with --from clip).
            bool Has(string prefix)
            {
                using var file = new SafetensorsFile(path);
                return file.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
            }
            bool hasUnet = Has(LdmStableDiffusion.UnetPrefix), hasVae = Has(LdmStableDiffusion.AutoencoderPrefix);
            if (!hasUnet && !hasVae)
                throw new CheckpointMismatchException($"{path} has no \"{LdmStableDiffusion.UnetPrefix}*\" or \"{LdmStableDiffusion.AutoencoderPrefix}*\" tensors: not a Stable Diffusion single-file checkpoint (see vidiff inspect)");
            if (hasUnet)
                using (var unet = ImageModelImport.UnetFromSingleFile(path, groups, heads, headDim)) Write(unet, into);
            if (hasVae)
                using (var vae = ImageModelImport.AutoencoderFromSingleFile(path, groups)) Write(vae, into);
            if (Has(LdmStableDiffusion.TextEncoderPrefix))
                Console.WriteLine($"{path}: its text encoder ({LdmStableDiffusion.TextEncoderPrefix}*) is not imported: our CLIP holds both towers, import the full CLIP model with --from clip");
            return;
        }
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path} is not a folder; --from diffusers takes a folder with unet/ and/or vae/");
        bool any = false;
        if (Directory.Exists(Path.Combine(path, "unet")))
        {
            using var unet = ImageModelImport.UnetFromDiffusers(Path.Combine(path, "unet"));
            Write(unet, into);
            any = true;
        }
        if (Directory.Exists(Path.Combine(path, "vae")))
        {
            using var vae = ImageModelImport.AutoencoderFromDiffusers(Path.Combine(path, "vae"));
            Write(vae, into);
            any = true;
        }
        // unCLIP pipelines (Karlo) keep their prior beside the UNet.
        if (Directory.Exists(Path.Combine(path, "prior")))
        {
            using var prior = PretrainedImport.Prior(path);
            Write(prior, "prior", prior.Config, into);
            any = true;
        }
        if (!any) throw new DirectoryNotFoundException($"{path} has none of unet/, vae/, prior/: not a diffusers pipeline folder");
    }

    static void Write<TConfig>(TorchSharp.torch.nn.Module module, string component, TConfig config, string into)
    {
        var file = Path.Combine(into, component + ".safetensors");
        ComponentFile.Save(module, file, component, config);
        Console.WriteLine($"{file}: {component}, {module.parameters().Sum(p => p.numel()):N0} parameters");
    }

    static void Write(SpatioTemporalUnet unet, string into)
    {
        var file = Path.Combine(into, "unet.safetensors");
        ComponentFile.Save(unet, file, "unet", unet.Config);
        Console.WriteLine($"{file}: UNet, levels [{string.Join(", ", unet.Config.BlockChannels)}], {unet.Config.InChannels} input channels "
            + $"({unet.Config.StructureChannels} structure), {unet.ParameterCount():N0} parameters");
    }

    static void Write(AutoencoderKL vae, string into)
    {
        var file = Path.Combine(into, "autoencoder.safetensors");
        ComponentFile.Save(vae, file, "autoencoder", vae.Config);
        Console.WriteLine($"{file}: autoencoder, levels [{string.Join(", ", vae.Config.BlockChannels)}], {vae.ParameterCount():N0} parameters");
    }

    /// <summary>Runs a command body, turning the errors a user can fix into one line on stderr and exit code 1 (shared by inspect and debug).</summary>
    internal static int Guard(Action body) => Guard(() =>
    {
        body();
        return 0;
    });

    internal static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is CheckpointFormatException or CheckpointMismatchException or ArgumentException or InvalidDataException
            or IOException or UnauthorizedAccessException or KeyNotFoundException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
