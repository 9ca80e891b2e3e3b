using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Pipelines;
using Vidiff.Pipelines.Training;
using Vidiff.Prior;
using Vidiff.Unet;

namespace Vidiff.Tests.Training;

/// <summary>Every stage on the tiny world: a few steps, the loss falls, and what is exported loads into the model folder's shapes.</summary>
public sealed class StageTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("vidiff-stages-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void AutoencoderLearnsAndRecordsItsScalingFactor()
    {
        using var data = TinyWorld.Data();
        var ctx = TinyWorld.Context(data, root, steps: 40, lr: 3e-3);
        var result = AutoencoderStage.Run(ctx);
        Assert.Equal(40, result.Step);
        Assert.True(double.IsFinite(result.Loss));
        var (first, last) = TinyWorld.LossEnds(ctx.RunDir(AutoencoderStage.Name), 5);
        Assert.True(last < first * 0.8, $"loss {first} → {last}");
        var config = ctx.ReadConfig();
        Assert.NotEqual(0.18215, config.Autoencoder.ScalingFactor);
        Assert.InRange(config.Autoencoder.ScalingFactor, 0.01, 100);
        ModuleWeights.Load(new AutoencoderKL(config.Autoencoder), Path.Combine(root, ModelFolder.AutoencoderFile));
        Assert.True(File.Exists(Path.Combine(ctx.RunDir(AutoencoderStage.Name), "loss.png")));
    }

    [Fact]
    public void RerunningContinuesFromTheCheckpoint()
    {
        using var data = TinyWorld.Data();
        AutoencoderStage.Run(TinyWorld.Context(data, root, steps: 3));
        var steps = new List<long>();
        var ctx = TinyWorld.Context(data, root, steps: 6) with { Progress = new Inline(p => steps.Add(p.Step)) };
        var result = AutoencoderStage.Run(ctx);
        Assert.Equal([4, 5, 6], steps);
        Assert.Equal(6, result.Step);
        Assert.Equal(7, File.ReadAllLines(Path.Combine(ctx.RunDir(AutoencoderStage.Name), "loss.csv")).Length);

        steps.Clear();
        var again = AutoencoderStage.Run(ctx);
        Assert.Empty(steps);
        Assert.True(again.Finished);
        Assert.Contains("step 6/6, no step left to take", again.ToString());
    }

    [Fact]
    public void DepthLearnsDisparity()
    {
        using var data = TinyWorld.Data();
        var ctx = TinyWorld.Context(data, root, steps: 40, lr: 3e-3);
        var result = DepthStage.Run(ctx);
        var (first, last) = TinyWorld.LossEnds(ctx.RunDir(DepthStage.Name), 5);
        Assert.True(last < first, $"loss {first} → {last}");
        Assert.Contains("AbsRel", result.Figures);
        ModuleWeights.Load(new DptDepthEstimator(ctx.ReadConfig().Depth), Path.Combine(root, ModelFolder.DepthFile));
    }

    [Fact]
    public void ClipTrainsTokenizerAndTowersThenPriorAndUnetFollow()
    {
        using var data = TinyWorld.Data();
        var ctx = TinyWorld.Context(data, root, steps: 30, lr: 3e-3);
        ClipStage.Run(ctx);
        var config = ctx.ReadConfig();
        var tokenizer = ClipTokenizer.Load(Path.Combine(root, ModelFolder.TokenizerFolder));
        Assert.Equal(tokenizer.VocabSize, config.Clip.Text.VocabSize);
        Assert.Equal(tokenizer.EndId, config.Clip.Text.EosTokenId);
        var (first, last) = TinyWorld.LossEnds(ctx.RunDir(ClipStage.Name), 5);
        Assert.True(last < first, $"clip loss {first} → {last}");
        ModuleWeights.Load(new ClipModel(config.Clip), Path.Combine(root, ModelFolder.ClipFile));

        var prior = PriorStage.Run(ctx with { Options = ctx.Options with { Steps = 20 } });
        Assert.Contains("kept", prior.Figures);
        config = ctx.ReadConfig();
        var priorModule = config.PriorType == ModelConfig.PriorKind.Diffusion
            ? (TorchSharp.torch.nn.Module)new PriorTransformer(config.Prior)
            : new RegressionPrior(config.Prior.EmbeddingDim, config.Prior.InnerDim);
        ModuleWeights.Load(priorModule, Path.Combine(root, ModelFolder.PriorFile));

        AutoencoderStage.Run(ctx with { Options = ctx.Options with { Steps = 5 } });
        DepthStage.Run(ctx with { Options = ctx.Options with { Steps = 5 } });
        var settings = new UnetSettings(ImageShare: 0.5, MinFrames: 2, MaxFrames: 4);
        var unet = UnetStage.Run(ctx with { Options = ctx.Options with { Steps = 30 } }, settings);
        Assert.True(double.IsFinite(unet.Loss));
        Assert.Matches(@"held-out loss \d+\.\d+, z_0 MSE from pure noise \d+\.\d+; on single frames \d+\.\d+, with another frame's structure \d+\.\d+, structure worth -?\d+\.\d+$", unet.Figures);
        // The logged per-step losses are too noisy to compare (a handful of timesteps per step); the same 16 batches
        // under a fresh initialisation and under the exported weights are not.
        config = ctx.ReadConfig();
        using var trained = new SpatioTemporalUnet(config.Unet);
        ModuleWeights.Load(trained, Path.Combine(root, ModelFolder.UnetFile));
        using var fresh = new SpatioTemporalUnet(config.Unet);
        using var inputs = UnetInputs.LoadOrCompute(ctx, config);
        var schedule = config.Schedule.Create();
        fresh.eval();
        trained.eval();
        double before = UnetStage.FixedBatchLoss(fresh, 16, data, inputs, schedule, config.Parameterization, settings, 4);
        double after = UnetStage.FixedBatchLoss(trained, 16, data, inputs, schedule, config.Parameterization, settings, 4);
        Assert.True(after < before * 0.8, $"unet loss on the probe batches {before} → {after}");
        var frames = settings with { ImageShare = 1 };
        double own = UnetStage.FixedBatchLoss(trained, 4, data, inputs, schedule, config.Parameterization, frames, 4, timestep: schedule.T - 1);
        double swapped = UnetStage.FixedBatchLoss(trained, 4, data, inputs, schedule, config.Parameterization, frames, 4, timestep: schedule.T - 1, otherStructure: true);
        Assert.NotEqual(own, swapped);

        // Rerunning a finished stage exports the same weights again; the UNet's input cache must survive that, and
        // only that: new weights in a frozen network make it recompute.
        var cache = Path.Combine(ctx.RunDir(UnetStage.Name), UnetStage.InputsFile);
        var cached = File.GetLastWriteTimeUtc(cache);
        AutoencoderStage.Run(ctx with { Options = ctx.Options with { Steps = 5 } });
        UnetInputs.LoadOrCompute(ctx, config).Dispose();
        Assert.Equal(cached, File.GetLastWriteTimeUtc(cache));
        AutoencoderStage.Run(ctx with { Options = ctx.Options with { Steps = 6 } });
        UnetInputs.LoadOrCompute(ctx, config).Dispose();
        Assert.NotEqual(cached, File.GetLastWriteTimeUtc(cache));
    }

    [Fact]
    public void EveryStageTrainsInBf16()
    {
        using var data = TinyWorld.Data();
        var ctx = TinyWorld.Context(data, root, steps: 2) with { Options = TinyWorld.Context(data, root, steps: 2).Options with { Bf16 = true } };
        foreach (var result in new[] { AutoencoderStage.Run(ctx), DepthStage.Run(ctx), ClipStage.Run(ctx), PriorStage.Run(ctx),
            UnetStage.Run(ctx, new UnetSettings(ImageShare: 0, MinFrames: 2, MaxFrames: 2)) })
            Assert.True(double.IsFinite(result.Loss), $"{result.Stage}: loss {result.Loss}");
    }

    sealed class Inline(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
