using Vidiff.Checkpoints;
using Vidiff.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Pipelines.Training;

/// <summary>
/// What a training stage works with: the data, the model folder it reads its component configs from (vidiff.json)
/// and exports its trained component into, and the shared loop's options. Run state (checkpoints, loss log and plot)
/// lives in <c>training/&lt;stage&gt;/</c> inside the model folder; shipping the model means leaving that folder out.
/// </summary>
public sealed record StageContext(
    TrainingData Data,
    string ModelDir,
    TrainingOptions Options,
    IProgress<TrainingProgress>? Progress = null,
    CancellationToken Cancel = default)
{
    public const string RunsFolder = "training";

    /// <summary>A first export is fp16: half the size of fp32 for the 40 MB budget, more mantissa than bf16.</summary>
    public const ScalarType ExportDtype = ScalarType.Float16;

    public string RunDir(string stage) => Path.Combine(ModelDir, RunsFolder, stage);

    public string ConfigPath => Path.Combine(ModelDir, ModelFolder.ConfigFile);

    public ModelConfig ReadConfig()
    {
        if (!File.Exists(ConfigPath))
            throw new FileNotFoundException($"{ModelDir} has no {ModelFolder.ConfigFile}; vidiff train writes the mini config there on first use", ConfigPath);
        return ModelConfig.FromJson(File.ReadAllText(ConfigPath), ConfigPath);
    }

    public void WriteConfig(ModelConfig config) =>
        AtomicFile.Write(ConfigPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(config.ToJson())));

    /// <summary>
    /// Writes a trained component's weights (EMA) into the model folder, in the dtype of the file it replaces (an imported
    /// fp32 UNet stays fp32, so weights a run froze are written back bit for bit), else <see cref="ExportDtype"/>.
    /// </summary>
    public void Export(nn.Module module, string file)
    {
        var path = Path.Combine(ModelDir, file);
        var dtype = ExportDtype;
        if (File.Exists(path))
        {
            using var existing = new SafetensorsFile(path);
            dtype = existing.Keys.Select(k => existing[k].DType).FirstOrDefault(t => t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64, ExportDtype);
        }
        ModuleWeights.Save(module, path, dtype);
    }

    /// <summary>Loads a component an earlier stage exported, naming that stage when it is missing.</summary>
    public T Load<T>(T module, string file, string stage) where T : nn.Module
    {
        var path = Path.Combine(ModelDir, file);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: run vidiff train --stage {stage} first", path);
        ModuleWeights.Load(module, path);
        if (Options.Device is { } device && device.type != DeviceType.CPU) module.to(device);
        module.eval();
        foreach (var p in module.parameters()) p.requires_grad = false;
        return module;
    }

    /// <summary>The shared loop for a stage, in its run folder, with this context's options and progress.</summary>
    public TrainingRun<TModel> Run<TModel>(string stage, Func<TModel> create) where TModel : nn.Module =>
        new(RunDir(stage), stage, () =>
        {
            manual_seed(Options.Seed);
            return create();
        }, Options, Progress, Cancel);

    /// <summary>Steps until the run is done (steps, minutes or cancellation); returns the last loss (NaN if none was taken).</summary>
    public static double Loop<TModel>(TrainingRun<TModel> run, Func<Tensor> loss) where TModel : nn.Module
    {
        double last = double.NaN;
        while (!run.Done) last = run.Update(loss);
        return last;
    }

    /// <summary>Saves the final checkpoint and the loss plot as PNG (ffmpeg rasterises the SVG; skipped if it cannot).</summary>
    public StageResult Finish<TModel>(TrainingRun<TModel> run, string stage, double loss, System.Diagnostics.Stopwatch clock, string? figures = null)
        where TModel : nn.Module
    {
        run.Checkpoint();
        string dir = RunDir(stage), svg = Path.Combine(dir, "loss.svg"), png = Path.Combine(dir, "loss.png");
        try
        {
            Media.Ffmpeg.Run(["-y", "-i", svg, png], $"drawing {png}", subject: svg);
        }
        catch (Media.MediaException)
        {
            // The SVG stays; a machine without ffmpeg or librsvg only loses the raster copy.
        }
        catch (OperationCanceledException) when (Cancel.IsCancellationRequested)
        {
            // A run stopped by a signal starts no more children (Shutdown); it keeps its checkpoint and the SVG.
        }
        return new StageResult(stage, run.Step, Options.Steps, loss, clock.Elapsed, figures);
    }
}
