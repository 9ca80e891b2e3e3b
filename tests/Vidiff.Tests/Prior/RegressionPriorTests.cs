using Vidiff.Prior;
using static TorchSharp.torch;

namespace Vidiff.Tests.Prior;

public class RegressionPriorTests
{
    [Fact]
    public void DeterministicMapOfTheTextEmbedding()
    {
        manual_seed(0);
        IPrior prior = new RegressionPrior(24, 48);
        var embed = randn(3, 24);
        var a = prior.Sample(embed, randn(3, 16, 24), new Generator(1));
        var b = prior.Sample(embed, randn(3, 16, 24), new Generator(2));
        Assert.Equal([3L, 24], a.shape);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
    }

    [Fact]
    public void FitsALinearMapByMse()
    {
        manual_seed(0);
        var prior = new RegressionPrior(8, 32);
        var map = randn(8, 8);
        var text = randn(64, 8);
        var image = text.matmul(map);
        var opt = optim.Adam(prior.parameters(), 1e-2);
        float first = 0, last = 0;
        for (int i = 0; i < 200; i++)
        {
            opt.zero_grad();
            var loss = prior.Loss(image, text);
            loss.backward();
            opt.step();
            if (i == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.True(last < first / 10, $"loss {first} → {last}");
    }
}
