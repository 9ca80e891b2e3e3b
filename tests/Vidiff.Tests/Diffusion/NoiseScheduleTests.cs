using Vidiff.Diffusion;
using static TorchSharp.torch;

namespace Vidiff.Tests.Diffusion;

public class NoiseScheduleTests
{
    [Fact]
    public void SchedulesMatchTheirDefinitions()
    {
        // Stable Diffusion's scaled-linear schedule ends at ᾱ_999 = 0.0046601 (torch: cumprod(1 − linspace(√β0, √β1, 1000)²) in float64).
        var scaled = NoiseSchedule.ScaledLinear();
        Assert.Equal(1000, scaled.T);
        Assert.Equal(1 - 0.00085, scaled.AlphasCumprod[0], 12);
        Assert.Equal(0.00466009851, scaled.AlphasCumprod[999], 10);

        var linear = NoiseSchedule.Linear();
        Assert.Equal(1 - 1e-4, linear.AlphasCumprod[0], 12);
        Assert.Equal(linear.AlphasCumprod[998] * (1 - 0.02), linear.AlphasCumprod[999], 15);

        // Cosine: ᾱ follows cos²((t/T + s)/(1 + s) · π/2) until the last β is clipped to 0.999.
        var cosine = NoiseSchedule.Cosine();
        static double F(double tau) => Math.Pow(Math.Cos((tau + 0.008) / 1.008 * Math.PI / 2), 2);
        Assert.Equal(F(0.5) / F(0), cosine.AlphasCumprod[499], 12);
        Assert.Equal(cosine.AlphasCumprod[998] * 0.001, cosine.AlphasCumprod[999], 15);
    }

    [Fact]
    public void SnrIsAlphaBarOverOneMinusAlphaBar()
    {
        var schedule = NoiseSchedule.Cosine();
        using var snr = schedule.Snr(tensor(new long[] { 10, 500, 999 }));
        Assert.Equal(float64, snr.dtype);
        var expected = new long[] { 10, 500, 999 }.Select(t => schedule.AlphasCumprod[(int)t] / (1 - schedule.AlphasCumprod[(int)t]));
        Assert.Equal(expected, snr.data<double>().ToArray(), (a, b) => Math.Abs(a - b) <= 1e-12 * Math.Abs(a));
    }

    [Fact]
    public void RejectsTimestepsOutsideTheSchedule()
    {
        var schedule = NoiseSchedule.Linear();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Snr(tensor(new long[] { 1000 })));
        Assert.Contains("[0, 999]", error.Message);
    }
}
