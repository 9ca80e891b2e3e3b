using TorchSharp;
using TorchSharp.Modules;
using Vidiff.Pipelines;
using static TorchSharp.torch;

namespace Vidiff.Tests.Pipelines;

public sealed class TrainingRunTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("vidiff-train-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    // Initialised from a generator of its own: the global one is shared with tests running in parallel.
    static Linear Create()
    {
        var linear = nn.Linear(8, 1);
        using var generator = new Generator(7);
        using var _ = no_grad();
        linear.weight!.copy_(randn([1, 8], generator: generator));
        linear.bias!.zero_();
        return linear;
    }

    // y = x·w* with fresh data every step drawn from the step's own generator.
    static Tensor Loss(TrainingRun<Linear> run)
    {
        var (g, _) = run.RandomForStep();
        var x = randn(32, 8, generator: g).to(run.Dtype);
        var y = x.to(ScalarType.Float32).matmul(linspace(-1, 1, 8)).unsqueeze(1);
        return nn.functional.mse_loss(run.Model.forward(x).to(ScalarType.Float32), y);
    }

    static float[] Train(string dir, TrainingOptions options, int stopAt)
    {
        using var run = new TrainingRun<Linear>(dir, "test", Create, options);
        while (!run.Done && run.Step < stopAt) run.Update(() => Loss(run));
        run.Checkpoint();
        return run.Ema.weight!.data<float>().ToArray();
    }

    [Fact]
    public void ResumedRunMatchesAnUninterruptedOne()
    {
        var options = new TrainingOptions(Steps: 30, LearningRate: 1e-2, WarmupSteps: 5, CheckpointEvery: 1000, EmaDecay: 0.9);
        var straight = Train(Path.Combine(root, "a"), options, 30);
        Train(Path.Combine(root, "b"), options, 12);
        var resumed = Train(Path.Combine(root, "b"), options, 30);
        Assert.Equal(straight, resumed);
        var log = File.ReadAllLines(Path.Combine(root, "b", "loss.csv"));
        Assert.Equal(31, log.Length); // header + one row per step, none repeated by the resume
        Assert.True(File.Exists(Path.Combine(root, "b", "loss.svg")));
    }

    [Fact]
    public void LossFallsInBf16WithAnFp32Master()
    {
        var options = new TrainingOptions(Steps: 200, LearningRate: 3e-2, WarmupSteps: 1, Bf16: true, CheckpointEvery: 1000);
        using var run = new TrainingRun<Linear>(Path.Combine(root, "c"), "bf16", Create, options);
        Assert.Equal(ScalarType.BFloat16, run.Model.weight!.dtype);
        double first = run.Update(() => Loss(run)), last = first;
        while (!run.Done) last = run.Update(() => Loss(run));
        Assert.True(last < first / 10, $"loss went from {first} to {last}");
    }

    [Fact]
    public void EmaForgetsTheInitialisationEarly()
    {
        // A constant 0.999 would still hold 0.999^200 = 82 % of the random start after 200 steps.
        var options = new TrainingOptions(Steps: 200, LearningRate: 3e-2, WarmupSteps: 1, CheckpointEvery: 1000, EmaDecay: 0.999);
        using var run = new TrainingRun<Linear>(Path.Combine(root, "e"), "ema", Create, options);
        var target = linspace(-1, 1, 8);
        double start = (run.Ema.weight!.flatten() - target).norm().item<float>();
        while (!run.Done) run.Update(() => Loss(run));
        double ema = (run.Ema.weight!.flatten() - target).norm().item<float>();
        Assert.True(ema < 0.1 * start, $"EMA distance to the solution {ema} from {start}");
        Assert.Equal(0.1, run.EmaDecayAt(0), 12);
        Assert.Equal(0.999, run.EmaDecayAt(100_000), 12);
    }

    [Fact]
    public void AnInterruptedCheckpointWriteLeavesThePreviousOne()
    {
        var options = new TrainingOptions(Steps: 5, CheckpointEvery: 1000);
        string dir = Path.Combine(root, "d");
        Train(dir, options, 3);
        Directory.CreateDirectory(Path.Combine(dir, "checkpoint.tmp")); // as if a write had been cut off
        using var run = new TrainingRun<Linear>(dir, "test", Create, options);
        Assert.Equal(3, run.Step);
    }
}
