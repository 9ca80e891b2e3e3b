using System.CommandLine;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Diffusion;

namespace Vidiff.Cli.Commands;

/// <summary><c>vidiff import</c>: public checkpoints into a model folder (docs/import.md).</summary>
static class ImportCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from")
        {
            Description = "Layout of PATH: sd (single-file Stable Diffusion), diffusers (pipeline folder with unet/, vae/, prior/, text_encoder/, image_encoder/, tokenizer/, scheduler/), "
            + "clip (transformers CLIPModel, or one tower: CLIPTextModel[WithProjection], CLIPVisionModelWithProjection), dpt (transformers DPT, DPT-Hybrid or Depth Anything folder), prior (diffusers PriorTransformer folder).",
            Required = true
        };
        from.AcceptOnlyFromAmong("sd", "diffusers", "clip", "dpt", "prior");
        var path = new Argument<string>("PATH") { Description = "Checkpoint file (.safetensors) or folder." };
        var into = new Option<string>("--into") { Description = "Model folder to create or complete (weights files and vidiff.json).", Required = true };
        var groups = new Option<int>("--norm-groups") { Description = "Group-norm groups (not stored in the weights; Stable Diffusion: 32).", DefaultValueFactory = _ => 32 };
        var heads = new Option<int?>("--heads") { Description = "Attention heads per transformer (not stored; default by version: SD 1.x 8 heads, SD 2.x 64-wide heads)." };
        var headDim = new Option<int?>("--head-dim") { Description = "Width per attention head instead of a head count." };
        var prediction = new Option<string?>("--prediction")
        {
            Description = "What the UNet predicts: epsilon (SD 1.x, 2.x-base) or v (SD 2.x 768-v). Default: the pipeline's scheduler config, else epsilon.",
        };
        prediction.AcceptOnlyFromAmong("epsilon", "v");
        var bf16 = new Option<bool>("--bf16") { Description = "Build and write the UNet and autoencoder in bfloat16 (half the memory and disk; loading converts to the dtype asked for)." };
        var command = new Command("import", "Import public weights into a model folder (paper §3.2: spatial weights exact, temporal layers identity, structure channel zero).")
        {
            path, from, into, groups, heads, headDim, prediction, bf16,
        };
        command.SetAction(p => Guard(() =>
        {
            var options = new FolderImport.Options(p.GetValue(groups), p.GetValue(heads), p.GetValue(headDim),
                p.GetValue(prediction) switch { "v" => Parameterization.V, "epsilon" => Parameterization.Epsilon, _ => null },
                p.GetValue(bf16) ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32);
            string source = p.GetValue(path)!, folder = p.GetValue(into)!;
            var lines = p.GetValue(from) switch
            {
                "sd" => FolderImport.StableDiffusion(source, folder, options),
                "diffusers" => FolderImport.Diffusers(source, folder, options),
                "clip" => FolderImport.Clip(source, folder),
                "dpt" => FolderImport.Depth(source, folder),
                _ => FolderImport.Prior(source, folder),
            };
            foreach (var line in lines) Console.WriteLine(line);
        }));
        return command;
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
