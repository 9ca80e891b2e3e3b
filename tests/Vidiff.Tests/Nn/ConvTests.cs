using TorchSharp;
using Vidiff.Nn;
using static TorchSharp.torch;

namespace Vidiff.Tests.Nn;

public class ConvTests
{
    /// <summary>
    /// Padding channels to whole blocks (the oneDNN workaround) gives the plain convolution's values, outputs and
    /// gradients, for every kind the networks use; in float64, which no oneDNN kernel computes, so only the padding differs.
    /// </summary>
    [Theory]
    [InlineData(3, 32, 3, 1, 1, 2, false)]
    [InlineData(64, 4, 3, 1, 1, 2, false)]
    [InlineData(20, 24, 1, 1, 0, 2, false)]
    [InlineData(3, 20, 8, 8, 0, 2, false)]
    [InlineData(48, 48, 3, 2, 1, 2, false)]
    [InlineData(12, 12, 3, 1, 1, 1, false)]
    [InlineData(24, 8, 4, 4, 0, 2, true)]
    public void PaddedChannelsGiveThePlainConvolution(int inChannels, int outChannels, int kernel, int stride, int padding, int dimensions, bool transposed)
    {
        manual_seed(3);
        using var conv = new Conv(inChannels, outChannels, kernel, stride, padding, dimensions: dimensions, transposed: transposed);
        conv.to(ScalarType.Float64);
        var x = randn(dimensions == 1 ? [2, inChannels, 9] : [2, inChannels, 16, 16], dtype: float64);

        (Tensor Y, Tensor Dx, Tensor Dw) Run(bool pad)
        {
            bool before = Conv.PadsChannelBlocks;
            Conv.PadsChannelBlocks = pad;
            try
            {
                conv.zero_grad();
                var leaf = x.detach().requires_grad_(true);
                var y = conv.call(leaf);
                y.mul(y.detach().sin()).sum().backward();
                return (y.detach(), leaf.grad!, conv.Weight.grad!.clone());
            }
            finally
            {
                Conv.PadsChannelBlocks = before;
            }
        }

        var plain = Run(pad: false);
        var padded = Run(pad: true);
        Assert.Equal(plain.Y.shape, padded.Y.shape);
        Assert.True(plain.Y.allclose(padded.Y, rtol: 0, atol: 1e-12));
        Assert.True(plain.Dx.allclose(padded.Dx, rtol: 0, atol: 1e-12));
        Assert.True(plain.Dw.allclose(padded.Dw, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void KeepsPyTorchsKeysAndInitialisation()
    {
        manual_seed(5);
        using var reference = nn.Conv2d(8, 16, 3, padding: 1);
        manual_seed(5);
        using var conv = new Conv(8, 16, 3, padding: 1);
        Assert.Equal(["bias", "weight"], conv.state_dict().Keys.Order());
        Assert.True(reference.weight!.eq(conv.Weight).all().item<bool>());
        Assert.True(reference.bias!.eq(conv.Bias!).all().item<bool>());
    }

    /// <summary>
    /// Channels-last weights (a loaded model's, for inference) keep their values and give the convolution's outputs,
    /// laid out channels-last; 1×1 kernels, single input channels and transposed convolutions are left as they are.
    /// </summary>
    [Fact]
    public void ChannelsLastWeightsKeepTheirValuesAndGiveTheSameOutputsInNhwc()
    {
        manual_seed(4);
        using var net = nn.Sequential(new Conv(8, 16, 3, padding: 1), new Conv(16, 16, 1), new Conv(1, 8, 3, padding: 1), new Conv(16, 8, 4, 2, 1, transposed: true));
        var convs = net.children().Cast<Conv>().ToArray();
        var before = convs.Select(c => c.Weight.detach().clone()).ToArray();
        var x = randn(2, 8, 12, 12);
        using var _ = no_grad();
        var want = convs[0].call(x);

        Conv.UseChannelsLast(net);

        for (int i = 0; i < convs.Length; i++) Assert.True(convs[i].Weight.eq(before[i]).all().item<bool>(), $"conv {i} changed its values");
        var w = convs[0].Weight;
        Assert.Equal([w.shape[1] * 9, 1, 3 * w.shape[1], w.shape[1]], w.stride()); // NHWC: channels densest
        Assert.True(convs[1].Weight.is_contiguous() && convs[2].Weight.is_contiguous() && convs[3].Weight.is_contiguous());
        var got = convs[0].call(x);
        Assert.Equal([16L * 12 * 12, 1, 12 * 16, 16], got.stride());
        Assert.True(got.allclose(want, rtol: 1e-5, atol: 1e-5), $"max abs diff {(got - want).abs().max().item<float>()}");
    }
    /// <summary>A large channels-last weight on 8×8 pixels or fewer, in inference, runs as one product of the pixels'
    /// nine windows: the same outputs as the convolution, with and without bias, laid out channels-last.</summary>
    [Theory]
    [InlineData(true, 8)]
    [InlineData(false, 4)]
    public void LargeWeightsOnFewPixelsGiveTheConvolutionAsOneProduct(bool bias, int size)
    {
        manual_seed(5);
        using var conv = new Conv(352, 384, 3, padding: 1, bias: bias);
        var x = randn(2, 352, size, size);
        using var _ = no_grad();
        var want = nn.functional.conv2d(x, conv.Weight, conv.Bias, padding: [1, 1]);
        Assert.False(Conv.IsWindowProduct(x, conv.Weight, 1, 1)); // NCHW weights: oneDNN
        Conv.UseChannelsLast(conv);
        Assert.True(Conv.IsWindowProduct(x, conv.Weight, 1, 1));
        var got = conv.call(x);
        Assert.Equal([384L * size * size, 1, size * 384, 384], got.stride());
        Assert.True(got.allclose(want, rtol: 1e-4, atol: 1e-4), $"max abs diff {(got - want).abs().max().item<float>()}");
    }
}
