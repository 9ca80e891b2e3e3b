using Vidiff.Prior;
using static TorchSharp.torch;

namespace Vidiff.Tests.Prior;

public class DiffusionPriorTests
{
    static DiffusionPrior Tiny()
    {
        manual_seed(0);
        var prior = new PriorTransformer(PriorConfig.Tiny);
        using (no_grad())
            foreach (var p in prior.parameters()) p.add_(randn_like(p) * 0.1);
        prior.eval();
        return new DiffusionPrior(prior, randn(1, 24), randn(1, 16, 24));
    }

    [Fact]
    public void SamplesAreSeededAndShaped()
    {
        var sampler = Tiny();
        var (embed, hidden) = (randn(2, 24), randn(2, 16, 24));
        var a = sampler.Sample(embed, hidden, new Generator(7));
        var b = sampler.Sample(embed, hidden, new Generator(7));
        var c = sampler.Sample(embed, hidden, new Generator(8));
        Assert.Equal([2L, 24], a.shape);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
        Assert.False(a.allclose(c));
    }

    [Fact]
    public void TimestepsRunFromLastToFirst()
    {
        var ts = DiffusionPrior.Timesteps(1000, 25);
        Assert.Equal(25, ts.Length);
        Assert.Equal(999, ts[0]);
        Assert.Equal(0, ts[^1]);
        Assert.Throws<ArgumentException>(() => DiffusionPrior.Timesteps(1000, 1));
    }

    [Fact]
    public void TrainingLossIsFiniteAndDifferentiable()
    {
        var sampler = Tiny();
        sampler.Model.train();
        var loss = sampler.Loss(randn(4, 24), randn(4, 24), randn(4, 16, 24), generator: new Generator(1));
        loss.backward();
        Assert.True(loss.item<float>() > 0);
        Assert.NotNull(sampler.Model.parameters().First().grad);
    }
}
