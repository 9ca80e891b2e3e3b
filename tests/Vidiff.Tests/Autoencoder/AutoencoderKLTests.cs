using TorchSharp;
using Vidiff.Autoencoder;
using static TorchSharp.torch;

namespace Vidiff.Tests.Autoencoder;

public class AutoencoderKLTests
{
    static AutoencoderKL NewNet(AutoencoderConfig? cfg = null)
    {
        manual_seed(0);
        return new AutoencoderKL(cfg ?? AutoencoderConfig.Tiny);
    }

    /// <summary>Smooth colour patterns in [-1, 1]: learnable by a small autoencoder, unlike white noise.</summary>
    static Tensor Images(int n, int size)
    {
        var u = linspace(0, 1, size).view(1, 1, size, 1);
        var v = linspace(0, 1, size).view(1, 1, 1, size);
        var phase = arange(n * 3, dtype: float32).view(n, 3, 1, 1);
        return sin(6.0 * u + 2.0 * phase) * cos(4.0 * v - phase) * 0.9;
    }

    [Fact]
    public void EncodesToLatentsAtTheStrideAndDecodesBack()
    {
        using var net = NewNet(AutoencoderConfig.Tiny with { BlockChannels = [16, 16, 32] });
        using var _ = no_grad();
        var (mean, logVar) = net.Encode(Images(2, 16));
        Assert.Equal(new long[] { 2, 4, 4, 4 }, mean.shape);
        Assert.Equal(mean.shape, logVar.shape);
        Assert.Equal(new long[] { 2, 3, 16, 16 }, net.Decode(mean).shape);
        Assert.True(logVar.max().item<float>() <= 20 && logVar.min().item<float>() >= -30);
    }

    [Fact]
    public void VideoHelpersEncodeEachFrameAndScale()
    {
        using var net = NewNet();
        using var _ = no_grad();
        var frames = Images(6, 8);                                  // 2 videos × 3 frames
        var video = frames.view(2, 3, 3, 8, 8).transpose(1, 2);     // [B, 3, F, H, W]

        var z = net.EncodeVideo(video, chunk: 4);                   // chunks cross the video boundary
        Assert.Equal(new long[] { 2, 4, 3, 4, 4 }, z.shape);
        var expected = net.Encode(frames).mean * 0.18215;
        Assert.True(z.transpose(1, 2).reshape(6, 4, 4, 4).allclose(expected, rtol: 1e-4, atol: 1e-6));
        Assert.True(z.allclose(net.EncodeVideo(video, chunk: 1), rtol: 1e-4, atol: 1e-6));

        var x = net.DecodeVideo(z, chunk: 5);
        Assert.Equal(video.shape, x.shape);
        Assert.True(x.transpose(1, 2).reshape(6, 3, 8, 8).allclose(net.Decode(expected / 0.18215), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void SamplingFollowsTheGenerator()
    {
        using var net = NewNet();
        using var _ = no_grad();
        var video = Images(2, 8).view(1, 3, 2, 8, 8);
        var a = net.EncodeVideo(video, new Generator(5));
        var b = net.EncodeVideo(video, new Generator(5));
        var mean = net.EncodeVideo(video);
        Assert.True(a.equal(b).all().item<bool>());
        Assert.True((a - mean).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void ParameterNamesFollowDiffusers()
    {
        using var net = NewNet(new AutoencoderConfig([8, 16, 32], LayersPerBlock: 2, NormGroups: 4));
        var shapes = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        (string, long[])[] expected =
        [
            ("encoder.conv_in.weight", [8, 3, 3, 3]),
            ("encoder.down_blocks.0.resnets.1.conv2.weight", [8, 8, 3, 3]),
            ("encoder.down_blocks.0.downsamplers.0.conv.weight", [8, 8, 3, 3]),
            ("encoder.down_blocks.1.resnets.0.conv_shortcut.weight", [16, 8, 1, 1]),
            ("encoder.mid_block.attentions.0.group_norm.weight", [32]),
            ("encoder.mid_block.attentions.0.to_q.bias", [32]),
            ("encoder.mid_block.attentions.0.to_out.0.weight", [32, 32]),
            ("encoder.mid_block.resnets.1.norm1.weight", [32]),
            ("encoder.conv_norm_out.weight", [32]),
            ("encoder.conv_out.weight", [8, 32, 3, 3]),
            ("quant_conv.weight", [8, 8, 1, 1]),
            ("post_quant_conv.weight", [4, 4, 1, 1]),
            ("decoder.conv_in.weight", [32, 4, 3, 3]),
            ("decoder.mid_block.attentions.0.to_v.weight", [32, 32]),
            ("decoder.up_blocks.0.resnets.2.conv1.weight", [32, 32, 3, 3]),
            ("decoder.up_blocks.0.upsamplers.0.conv.weight", [32, 32, 3, 3]),
            ("decoder.up_blocks.1.resnets.0.conv_shortcut.weight", [16, 32, 1, 1]),
            ("decoder.up_blocks.2.resnets.2.norm2.weight", [8]),
            ("decoder.conv_out.weight", [3, 8, 3, 3]),
        ];
        foreach (var (name, shape) in expected)
        {
            Assert.True(shapes.TryGetValue(name, out var actual), $"missing {name}");
            Assert.Equal(shape, actual);
        }
        Assert.DoesNotContain(shapes.Keys, k => k.Contains("downsamplers") && k.StartsWith("encoder.down_blocks.2"));
        Assert.DoesNotContain(shapes.Keys, k => k.Contains("upsamplers") && k.StartsWith("decoder.up_blocks.2"));
        Assert.DoesNotContain(shapes.Keys, k => k.Contains("time_emb_proj") || k.Contains("temp_"));
    }

    [Fact]
    public void DownsamplingPadsOnlyRightAndBottom()
    {
        // Stable Diffusion's encoder pads (0, 1, 0, 1) before its stride-2 convolution: the output's first pixel
        // sees input rows and columns 0..2, never a padded row or column above or left.
        var down = new Vidiff.Nn.Downsampler(1, asymmetricPad: true);
        using var _ = no_grad();
        foreach (var (_, p) in down.named_parameters()) p.fill_(1);
        var y = down.forward(ones(1, 1, 4, 4));
        Assert.Equal(new long[] { 1, 1, 2, 2 }, y.shape);
        Assert.Equal(new float[] { 10, 7, 7, 5 }, y.data<float>().ToArray());
    }

    [Fact]
    public void OverfitsAFixedBatch()
    {
        using var net = NewNet();
        var x = Images(4, 16);
        // Also beat the best constant image tenfold, so a trivial fit to the mean does not pass.
        double floor = x.var().item<float>() / 10;
        using var opt = optim.Adam(net.parameters(), lr: 2e-3);
        double first = 0, loss = 0;
        for (int step = 0; step < 300; step++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var (mean, _) = net.Encode(x);
            var l = nn.functional.mse_loss(net.Decode(mean), x);
            l.backward();
            opt.step();
            loss = l.item<float>();
            if (step == 0) first = loss;
            if (loss < first / 10 && loss < floor) break;
        }
        Assert.True(loss < first / 10 && loss < floor, $"loss {first:F4} -> {loss:F4} in 300 steps (floor {floor:F4})");
    }

    [Fact]
    public void Bfloat16IsCloseToFloat32()
    {
        using var net = NewNet();
        using var _ = no_grad();
        var x = Images(2, 16);
        var (mean, _) = net.Encode(x);
        var y = net.Decode(mean);
        net.to(ScalarType.BFloat16);
        var (mean16, _) = net.Encode(x);
        var y16 = net.Decode(mean16);
        Assert.Equal(ScalarType.Float32, y16.dtype);
        double rel = ((y16 - y).norm() / y.norm()).item<float>();
        Assert.True(rel is > 0 and < 0.05, $"relative error {rel:F4}");
    }

    [Fact]
    public void RejectsImagesNotAMultipleOfTheStride()
    {
        using var net = NewNet();
        var e = Assert.Throws<ArgumentException>(() => net.Encode(zeros(1, 3, 9, 8)));
        Assert.Contains("images have shape [1, 3, 9, 8]; expected [N, 3, H, W] with H and W multiples of 2", e.Message);
    }
}
