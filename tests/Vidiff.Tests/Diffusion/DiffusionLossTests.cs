using Vidiff.Diffusion;
using static TorchSharp.torch;

namespace Vidiff.Tests.Diffusion;

public class DiffusionLossTests
{
    [Theory]
    [InlineData(Parameterization.Epsilon)]
    [InlineData(Parameterization.V)]
    public void MinSnrWeightsMatchTheFormula(Parameterization p)
    {
        var schedule = NoiseSchedule.ScaledLinear();
        long[] ts = [0, 100, 400, 999];
        using var weights = DiffusionLoss.MinSnrWeight(schedule, p, tensor(ts), gamma: 5);
        var expected = ts.Select(t =>
        {
            double snr = schedule.AlphasCumprod[(int)t] / (1 - schedule.AlphasCumprod[(int)t]);
            return p == Parameterization.Epsilon ? Math.Min(snr, 5) / snr : Math.Min(snr + 1, 5) / (snr + 1);
        }).ToArray();
        Assert.Equal(expected, weights.data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        // Low noise (SNR > γ) is down-weighted; at high noise both keep weight 1 on their own loss (for v, the z_0 error
        // keeps weight 1 instead of vanishing with the SNR).
        Assert.True(expected[0] < 0.01);
        Assert.Equal(1.0, expected[3], 12);
    }

    [Theory]
    [InlineData(Parameterization.Epsilon)]
    [InlineData(Parameterization.V)]
    public void LossIsZeroAtTheTargetAndMeanPerSampleThenBatch(Parameterization p)
    {
        manual_seed(1);
        var schedule = NoiseSchedule.Cosine();
        using var scope = NewDisposeScope();
        var x0 = randn([2, 4, 3, 2, 2]);
        var eps = randn([2, 4, 3, 2, 2]);
        var t = tensor(new long[] { 30, 800 });
        var (alpha, sigma) = schedule.AlphaSigma(t, x0);
        var target = Prediction.Target(p, x0, eps, alpha, sigma);
        Assert.Equal(0f, DiffusionLoss.Compute(schedule, p, target, x0, eps, t).item<float>());
        Assert.Equal(0f, DiffusionLoss.Compute(schedule, p, target, x0, eps, t, minSnrGamma: 5).item<float>());

        // Error 1 on every element of sample 0, 3 on sample 1: per-sample means 1 and 9.
        var output = target + tensor(new float[] { 1, 3 }).view(2, 1, 1, 1, 1);
        Assert.Equal(5f, DiffusionLoss.Compute(schedule, p, output, x0, eps, t).item<float>(), 4);
        var w = DiffusionLoss.MinSnrWeight(schedule, p, t, 5).data<double>().ToArray();
        Assert.Equal((float)((w[0] * 1 + w[1] * 9) / 2), DiffusionLoss.Compute(schedule, p, output, x0, eps, t, minSnrGamma: 5).item<float>(), 4);
    }
}
