using Vidiff.Diffusion;
using static TorchSharp.torch;

namespace Vidiff.Tests.Diffusion;

public class PredictionTests
{
    [Theory]
    [InlineData(Parameterization.Epsilon)]
    [InlineData(Parameterization.V)]
    public void ConversionsRoundTrip(Parameterization p)
    {
        manual_seed(0);
        var schedule = NoiseSchedule.Cosine();
        using var scope = NewDisposeScope();
        var x0 = randn([4, 2, 3, 5, 5], float64);
        var eps = randn([4, 2, 3, 5, 5], float64);
        var t = tensor(new long[] { 0, 250, 700, 990 });
        var zt = schedule.AddNoise(x0, eps, t);
        var (alpha, sigma) = schedule.AlphaSigma(t, zt);
        var output = Prediction.Target(p, x0, eps, alpha, sigma);

        Assert.True(Prediction.X0(p, output, zt, alpha, sigma).allclose(x0, rtol: 1e-9, atol: 1e-9));
        Assert.True(Prediction.Epsilon(p, output, zt, alpha, sigma).allclose(eps, rtol: 1e-9, atol: 1e-9));
        var v = alpha * eps - sigma * x0;
        Assert.True(Prediction.V(p, output, zt, alpha, sigma).allclose(v, rtol: 1e-9, atol: 1e-9));
        Assert.True(Prediction.EpsilonFromX0(x0, zt, alpha, sigma).allclose(eps, rtol: 1e-9, atol: 1e-9));
    }

    [Fact]
    public void AddNoiseBroadcastsPerSampleTimesteps()
    {
        var schedule = NoiseSchedule.ScaledLinear();
        using var x0 = ones([2, 1, 2, 1, 1], float64);
        using var eps = full([2, 1, 2, 1, 1], 2.0, float64);
        using var zt = schedule.AddNoise(x0, eps, tensor(new long[] { 0, 999 }));
        double a0 = schedule.AlphasCumprod[0], a999 = schedule.AlphasCumprod[999];
        var expected = new[] { Math.Sqrt(a0) + 2 * Math.Sqrt(1 - a0), Math.Sqrt(a0) + 2 * Math.Sqrt(1 - a0), Math.Sqrt(a999) + 2 * Math.Sqrt(1 - a999), Math.Sqrt(a999) + 2 * Math.Sqrt(1 - a999) };
        Assert.Equal(expected, zt.data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }
}
