using System.CommandLine;
using Spectre.Console;
using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Evaluation;

namespace Vidiff.Cli.Commands;

/// <summary>`vidiff model new`: a randomly initialised model folder of a preset configuration (tests, benchmarks, the start of training).</summary>
static class ModelCommand
{
    public enum Preset
    {
        Tiny,
        Mini,
        Sd15,
    }

    /// <summary>A few captions of the kind the procedural world produces, so the random model's tokenizer has real merges,
    /// and the world's colour and shape words, so each is a token (vidiff eval refuses a tokenizer without them).</summary>
    static readonly string[] Captions =
    [
        "a red cube on a grey floor", "a blue sphere in front of a white wall", "a green cone under a cloudy sky",
        "a yellow cylinder beside a wooden box", "two orange spheres on a checkered floor", "a shiny metal cube in warm light",
        "a purple torus floating above water", "a brown brick wall behind a small tree", "a camera moving around a stone statue",
        .. ColourPrompts.Words,
    ];

    public static Command Create()
    {
        var config = new Option<Preset>("--config") { Description = "tiny (tests), mini (the bundled model's shapes) or sd15 (Stable Diffusion 1.5 sizes, ~8 GB).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to create (must not exist or be empty).", Required = true };
        var seed = CommandOptions.Number<long>("--seed", "Seed of the random initialisation (default 0).");
        var create = new Command("new", "Write a randomly initialised model folder.") { config, output, seed };
        create.SetAction(parse => CommandErrors.Run(() => New(parse.GetValue(config), parse.GetValue(output)!, parse.GetValue(seed) ?? 0)));
        return new Command("model", "Model folders (vidiff.json, one safetensors file per network, the tokenizer).") { create };
    }

    static int New(Preset preset, string output, long seed)
    {
        var tokenizer = ClipTokenizer.Train(Captions, preset == Preset.Tiny ? 680 : 1024);
        var config = preset switch
        {
            Preset.Tiny => ModelConfig.Tiny(tokenizer.VocabSize, tokenizer.EndId),
            Preset.Mini => ModelConfig.Mini(tokenizer.VocabSize, tokenizer.EndId),
            // Real SD 1.5 / CLIP L/14 shapes; only the end-of-text id follows our tokenizer (an importer brings CLIP's own).
            _ => ModelConfig.Sd15() is var sd ? sd with { Clip = sd.Clip with { Text = sd.Clip.Text with { EosTokenId = tokenizer.EndId } } } : null!,
        };
        using var model = ModelFolder.Create(config, tokenizer, seed);
        model.Save(output);
        AnsiConsole.MarkupLine($"wrote [bold]{CommandErrors.Escape(Path.GetFullPath(output))}[/] ({config.Name}, seed {seed}, {Parameters(model) / 1e6:F1} M parameters)");
        return 0;
    }

    static long Parameters(ModelFolder model) =>
        model.Networks.Sum(n => n.Module.parameters().Sum(p => p.numel()));
}
