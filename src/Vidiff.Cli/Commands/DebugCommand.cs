using System.CommandLine;
using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Prior;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Cli.Commands;

/// <summary>
/// <c>vidiff debug forward</c>: one network of a model folder on the tensors of a file, outputs to a file, so an import can
/// be checked against another implementation. The networks' configs come from the folder's vidiff.json; tensor names
/// are listed in docs/import.md.
/// </summary>
static class DebugCommand
{
    static readonly Dictionary<string, string> Files = new()
    {
        ["autoencoder-encode"] = "autoencoder",
        ["autoencoder-decode"] = "autoencoder",
        ["unet"] = "unet",
        ["clip-text"] = "clip",
        ["clip-vision"] = "clip",
        ["depth"] = "depth",
        ["prior"] = "prior",
    };

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder.", Required = true };
        var component = new Option<string>("--component") { Description = "Network to run.", Required = true };
        component.AcceptOnlyFromAmong([.. Files.Keys]);
        var inputs = new Option<string>("--inputs") { Description = "Input tensors (.safetensors; names in docs/import.md).", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the output tensors (.safetensors).", Required = true };
        var forward = new Command("forward", "Run one network on the tensors of a file and write its outputs.") { model, component, inputs, output };
        forward.SetAction(p => ImportCommand.Guard(() => Forward(p.GetValue(model)!, p.GetValue(component)!, p.GetValue(inputs)!, p.GetValue(output)!)));
        return new Command("debug", "Tools for checking imported weights.") { forward };
    }

    static void Forward(string dir, string component, string inputsPath, string outputPath)
    {
        var config = ModelFolder.ReadConfig(dir);
        var weights = Path.Combine(dir, Files[component] + ".safetensors");
        if (!File.Exists(weights)) throw new FileNotFoundException($"Model folder {dir} has no {Path.GetFileName(weights)} (import it with vidiff import)", weights);
        using var inputs = new SafetensorsFile(inputsPath);
        Tensor In(string name) => inputs.Keys.Contains(name) ? inputs.Read(name)
            : throw new KeyNotFoundException($"Inputs file {inputsPath} has no tensor \"{name}\", needed by --component {component}");
        Tensor? Optional(string name) => inputs.Keys.Contains(name) ? inputs.Read(name) : null;

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var outputs = new Dictionary<string, Tensor>();
        switch (component)
        {
            case "autoencoder-encode" or "autoencoder-decode":
                {
                    using var vae = Load(new AutoencoderKL(config.Autoencoder), weights);
                    if (component == "autoencoder-decode") outputs["images"] = vae.Decode(In("latents"));
                    else (outputs["mean"], outputs["logvar"]) = vae.Encode(In("images"));
                    break;
                }
            case "unet":
                {
                    using var net = Load(new SpatioTemporalUnet(config.Unet), weights);
                    var latents = In("latents");
                    // An image batch [B, C, h, w] runs as one-frame videos and comes back as images.
                    bool images = latents.dim() == 4;
                    if (images) latents = latents.unsqueeze(2);
                    var structure = Optional("structure") is { } s ? (images ? s.unsqueeze(2) : s)
                        : zeros([latents.shape[0], net.Config.StructureChannels, .. latents.shape[2..]]);
                    var y = net.forward(latents, structure, In("timesteps"), In("content"));
                    outputs["output"] = images ? y.squeeze(2) : y;
                    break;
                }
            case "clip-text":
                {
                    // One tower is enough: a folder may hold one until the other is imported. Its keys all start "text_".
                    using var text = LoadTower(new ClipTextModel(config.Clip.Text, config.Clip.ProjectionDim), weights, "text_");
                    (outputs["last_hidden_state"], outputs["text_embeds"]) = text.forward(In("input_ids").to(int64));
                    break;
                }
            case "clip-vision":
                {
                    using var vision = LoadTower(new ClipVisionModel(config.Clip.Vision, config.Clip.ProjectionDim), weights, "vis");
                    outputs["image_embeds"] = vision.forward(In("pixel_values"));
                    break;
                }
            case "depth":
                {
                    using var depth = Load(new DptDepthEstimator(config.Depth), weights);
                    outputs["predicted_depth"] = depth.Predict(In("pixel_values"));
                    break;
                }
            case "prior":
                {
                    using var prior = Load(new PriorTransformer(config.Prior), weights);
                    outputs["predicted_image_embedding"] = prior.forward(In("hidden_states"), In("timesteps"), In("text_embeds"),
                        In("text_hidden_states"), Optional("text_mask")?.to(@bool));
                    break;
                }
        }
        Safetensors.Write(outputPath, outputs.ToDictionary(kv => kv.Key, kv => kv.Value.contiguous()));
        foreach (var (name, t) in outputs) Console.WriteLine($"{name} [{string.Join(", ", t.shape)}]");
    }

    static T LoadTower<T>(T tower, string path, string prefix) where T : nn.Module
    {
        using var file = new SafetensorsFile(path);
        KeyMappedLoad.Load(tower, file, path, tower.state_dict().Keys.ToDictionary(k => k, k => k), prefix);
        tower.eval();
        return tower;
    }

    static T Load<T>(T module, string path) where T : nn.Module
    {
        ModuleWeights.Load(module, path);
        module.eval();
        return module;
    }
}
