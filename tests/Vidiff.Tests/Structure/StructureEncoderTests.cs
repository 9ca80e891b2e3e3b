using Vidiff.Structure;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Tests.Structure;

public class StructureEncoderTests
{
    /// <summary>Energy of the discrete Laplacian over interior pixels: a measure of fine detail.</summary>
    static double LaplacianEnergy(Tensor depth)
    {
        using var scope = NewDisposeScope();
        var kernel = tensor(new double[] { 0, 1, 0, 1, -4, 1, 0, 1, 0 }, [1, 1, 3, 3]).to(depth.dtype);
        return F.conv2d(depth.reshape(-1, 1, depth.shape[^2], depth.shape[^1]), kernel).square().sum().item<double>();
    }

    /// <summary>Energy of the spectrum above a quarter of the Nyquist frequency (radially).</summary>
    static double SpectralEnergyAbove(Tensor depth, double cutoff = 0.125)
    {
        using var scope = NewDisposeScope();
        var spectrum = fft.fft2(depth).abs().square();
        var fy = fft.fftfreq(depth.shape[^2], dtype: float64).view(-1, 1);
        var fx = fft.fftfreq(depth.shape[^1], dtype: float64).view(1, -1);
        var mask = (fy.square() + fx.square()).sqrt() > cutoff;
        return (spectrum * mask).sum().item<double>();
    }

    [Theory]
    [InlineData(64, 64, false)]
    [InlineData(48, 80, false)]
    [InlineData(64, 64, true)]
    [InlineData(48, 80, true)]
    public void DetailFallsStrictlyWithEachLevel(int h, int w, bool smooth)
    {
        manual_seed(0);
        using var scope = NewDisposeScope();
        var depth = rand([2, 1, h, w]);
        // Either white noise or a smooth random surface with a sharp edge (closer to a real depth map).
        if (smooth) depth = F.interpolate(rand([2, 1, h / 8, w / 8]), [h, w], mode: InterpolationMode.Bicubic) + (arange(w) > w / 2).to(float32);
        var levels = Enumerable.Range(0, StructureEncoder.MaxLevel + 1).Select(ts => StructureEncoder.Obscure(depth, ts).to(float64)).ToArray();
        var laplacian = levels.Select(LaplacianEnergy).ToArray();
        var spectral = levels.Select(l => SpectralEnergyAbove(l)).ToArray();
        for (int ts = 1; ts <= StructureEncoder.MaxLevel; ts++)
        {
            Assert.True(laplacian[ts] < laplacian[ts - 1], $"Laplacian energy {string.Join(", ", laplacian)}");
            Assert.True(spectral[ts] < spectral[ts - 1], $"spectral energy {string.Join(", ", spectral)}");
        }
        // The blur keeps the shape and the mean depth (its gain at frequency 0 is 1).
        Assert.Equal(depth.shape, levels[^1].shape);
        Assert.Equal(depth.mean().item<float>(), levels[^1].mean().item<double>(), 5);
    }

    [Fact]
    public void LevelZeroIsTheDepthExactly()
    {
        manual_seed(1);
        using var depth = randn([3, 1, 16, 24]);
        using var obscured = StructureEncoder.Obscure(depth, 0);
        Assert.Equal(depth.data<float>().ToArray(), obscured.data<float>().ToArray());
    }

    [Fact]
    public void NormalizeMapsEachClipToMinusOneOne()
    {
        using var depth = tensor(new float[] { 2, 4, 6, 10 }, [2, 1, 1, 2]);
        using var normalized = StructureEncoder.Normalize(depth);
        Assert.Equal([-1f, -0.5f, 0f, 1f], normalized.data<float>().ToArray());

        using var constant = full([2, 1, 4, 4], 3.5f);
        using var flat = StructureEncoder.Normalize(constant);
        Assert.Equal(0f, flat.abs().max().item<float>());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(8)]
    public void RejectsLevelsOutsideTheRange(int ts)
    {
        using var depth = rand([2, 1, 8, 8]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => StructureEncoder.Obscure(depth, ts));
        Assert.Contains($"t_s = {ts}", error.Message);
        Assert.Contains("[0, 7]", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => StructureEncoder.Encode(depth, ts, 4, 4));
    }

    [Fact]
    public void EncodeNormalisesObscuresAndResizesToLatentLayout()
    {
        manual_seed(2);
        using var scope = NewDisposeScope();
        var depth = 5 + 3 * rand([3, 1, 32, 48]);
        var s = StructureEncoder.Encode(depth, 2, 4, 6);
        Assert.Equal([1L, 1, 3, 4, 6], s.shape);
        Assert.InRange(s.min().item<float>(), -1f, 1f);
        Assert.InRange(s.max().item<float>(), -1f, 1f);
        var expected = StructureEncoder.ToLatent(StructureEncoder.Obscure(StructureEncoder.Normalize(depth), 2), 4, 6);
        Assert.True(s[0, 0].allclose(expected[.., 0]));
        // Area resizing averages each 8×8 block: constant blocks stay exact, a checkerboard within a block averages out.
        var checkerboard = (arange(32).view(-1, 1) + arange(48).view(1, -1)).remainder(2).to(float32) * 2 - 1;
        var blocks = arange(24f).view(1, 1, 4, 6).repeat_interleave(8, 2).repeat_interleave(8, 3) + checkerboard;
        Assert.True(StructureEncoder.ToLatent(blocks, 4, 6).allclose(arange(24f).view(1, 1, 4, 6), atol: 1e-4));

        Assert.Throws<ArgumentException>(() => StructureEncoder.Encode(zeros(3, 2, 8, 8), 0, 4, 4));
    }
}
