using Vidiff.Evaluation;
using static TorchSharp.torch;

namespace Vidiff.Tests.Evaluation;

public class ImageQualityTests
{
    static Tensor Image(int seed, int h = 16, int w = 16) => rand([2, 3, h, w], ScalarType.Float64, generator: new Generator((ulong)seed)) * 2 - 1;

    [Fact]
    public void IdenticalFramesAreInfinitePsnrAndSsimOne()
    {
        var x = Image(1);
        Assert.Equal(double.PositiveInfinity, ImageQuality.Psnr(x, x.clone()));
        Assert.Equal(1.0, ImageQuality.Ssim(x, x.clone()), 12);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.01)]
    public void AKnownErrorGivesItsAnalyticPsnr(double delta)
    {
        // ±δ in [0, 1] units on every pixel (a checkerboard of signs, within [0, 1]): MSE = δ², PSNR = 20 log10(1 / δ).
        var reference = Image(2) * 0.5;
        var signs = (arange(16).view(1, 1, 16, 1) + arange(16).view(1, 1, 1, 16)).remainder(2) * 2 - 1;
        var noisy = reference + 2 * delta * signs.to(ScalarType.Float64);
        Assert.Equal(20 * Math.Log10(1 / delta), ImageQuality.Psnr(noisy, reference), 9);
    }

    [Fact]
    public void SsimOfTwoFlatImagesIsItsLuminanceTerm()
    {
        // No variance: SSIM = (2 μx μy + C1) / (μx² + μy² + C1), the contrast-structure term being C2 / C2.
        var x = full([1, 3, 12, 12], 0.3 * 2 - 1, ScalarType.Float64);
        var y = full([1, 3, 12, 12], 0.5 * 2 - 1, ScalarType.Float64);
        double c1 = ImageQuality.SsimC1;
        Assert.Equal((2 * 0.3 * 0.5 + c1) / (0.3 * 0.3 + 0.5 * 0.5 + c1), ImageQuality.Ssim(x, y), 10);
    }

    [Fact]
    public void SsimMatchesTheDefinitionSummedByHand()
    {
        // Wang et al. 2004 at every window position inside the frame, with the Gaussian weights written out.
        var (x, y) = (Image(3, 13, 14), Image(4, 13, 14) * 0.5 + Image(3, 13, 14) * 0.5);
        var a = ((x + 1) / 2).data<double>().ToArray();
        var b = ((y + 1) / 2).data<double>().ToArray();
        var g = new double[11];
        for (int i = 0; i < 11; i++) g[i] = Math.Exp(-(i - 5) * (i - 5) / (2 * 1.5 * 1.5));
        double norm = g.Sum() * g.Sum();
        double total = 0;
        int count = 0;
        for (int plane = 0; plane < 2 * 3; plane++)
            for (int top = 0; top + 11 <= 13; top++)
                for (int left = 0; left + 11 <= 14; left++)
                {
                    double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
                    for (int i = 0; i < 11; i++)
                        for (int j = 0; j < 11; j++)
                        {
                            int k = (plane * 13 + top + i) * 14 + left + j;
                            double wgt = g[i] * g[j] / norm;
                            (mx, my) = (mx + wgt * a[k], my + wgt * b[k]);
                            (xx, yy, xy) = (xx + wgt * a[k] * a[k], yy + wgt * b[k] * b[k], xy + wgt * a[k] * b[k]);
                        }
                    double sx = xx - mx * mx, sy = yy - my * my, sxy = xy - mx * my;
                    total += (2 * mx * my + 1e-4) * (2 * sxy + 9e-4) / ((mx * mx + my * my + 1e-4) * (sx + sy + 9e-4));
                    count++;
                }
        Assert.Equal(total / count, ImageQuality.Ssim(x, y), 10);
        Assert.InRange(ImageQuality.Ssim(x, y), 0.2, 0.95); // related, not equal
    }

    [Fact]
    public void MismatchedOrTooSmallFramesAreRefused()
    {
        Assert.Throws<ArgumentException>(() => ImageQuality.Psnr(Image(1), Image(1, 8, 16)));
        var e = Assert.Throws<ArgumentException>(() => ImageQuality.Ssim(Image(1, 8, 8), Image(2, 8, 8)));
        Assert.Contains("at least 11×11", e.Message);
    }
}
