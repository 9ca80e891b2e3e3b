using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Evaluation;
using static TorchSharp.torch;

namespace Vidiff.Tests.Evaluation;

public class TemporalMetricsTests
{
    [Fact]
    public void FlickerIsZeroForAStaticOutputAndPositiveForNoise()
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(3);
        var input = (rand([4, 3, 8, 8], generator: generator) * 2 - 1).narrow(0, 0, 1).expand(4, -1, -1, -1).clone();
        var objects = zeros(4, 8, 8, dtype: ScalarType.Int64);
        objects[.., 0..2, 0..2] = tensor(1L);
        var still = input.clone();
        Assert.Equal(0, Flicker.Measure(input, still, objects));

        var noisy = input + 0.2 * randn([4, 3, 8, 8], generator: generator);
        double flicker = Flicker.Measure(input, noisy, objects);
        // |a − b| of two N(0, 0.2²) draws has mean 0.2·2/√π, halved to 0..1 units.
        Assert.InRange(flicker, 0.8 * 0.2 / Math.Sqrt(Math.PI), 1.2 * 0.2 / Math.Sqrt(Math.PI));

        // Changes on the object alone do not count.
        var objectOnly = still.clone();
        objectOnly[1.., .., 0..2, 0..2] = tensor(0.7f);
        Assert.Equal(0, Flicker.Measure(input, objectOnly, objects));
    }

    [Fact]
    public void FlickerIsUndefinedWhenTheInputNeverHoldsStill()
    {
        var input = arange(3).to(float32).view(3, 1, 1, 1).expand(3, 3, 4, 4) * 0.5 - 1;
        Assert.True(double.IsNaN(Flicker.Measure(input, input, zeros(3, 4, 4, dtype: ScalarType.Int64))));
    }

    [Fact]
    public void ConsistencyIsOneForIdenticalFramesAndLessForDifferentOnes()
    {
        var clip = TinyClip();
        var generator = new TorchSharp.torch.Generator(5);
        var frame = rand([1, 3, 16, 16], generator: generator) * 2 - 1;
        Assert.Equal(1, FrameConsistency.Measure(clip, frame.expand(4, -1, -1, -1)), 6);
        Assert.True(FrameConsistency.Measure(clip, rand([4, 3, 16, 16], generator: generator) * 2 - 1) < 0.999);
    }

    [Fact]
    public void PromptConsistencyIsTheMeanCosineOfTextAndFrames()
    {
        var clip = TinyClip();
        var tokenizer = Pipelines.EditFixtures.Tokenizer();
        var generator = new TorchSharp.torch.Generator(6);
        var frames = rand([3, 3, 16, 16], generator: generator) * 2 - 1;
        double each = Enumerable.Range(0, 3).Average(i => PromptConsistency.Measure(clip, tokenizer, "a red cube", frames.narrow(0, i, 1)));
        double all = PromptConsistency.Measure(clip, tokenizer, "a red cube", frames);
        Assert.Equal(each, all, 6); // float32 towers: batching changes the last bits
        Assert.InRange(all, -1, 1);
        Assert.NotEqual(all, PromptConsistency.Measure(clip, tokenizer, "a blue floor", frames), 6);
    }

    static ClipModel TinyClip()
    {
        var tokenizer = Pipelines.EditFixtures.Tokenizer();
        var clip = new ClipModel(ModelConfig.Tiny(tokenizer.VocabSize, tokenizer.EndId).Clip);
        clip.eval();
        return clip;
    }
}
