using TorchSharp;
using Vidiff.Nn;
using static TorchSharp.torch;

namespace Vidiff.Tests.Nn;

public class BlockTests
{
    static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    /// <summary>Gives the zero-initialised output layers random values, as training would.</summary>
    static void Wake(torch.nn.Module m)
    {
        using var _ = no_grad();
        foreach (var (_, p) in m.named_parameters())
            if (p.abs().max().item<float>() == 0) p.copy_(randn_like(p) * 0.1);
    }

    [Fact]
    public void TemporalConvolutionIsIdentityThenMixesOnlyNeighbouringFrames()
    {
        manual_seed(0);
        var tc = new TemporalConvolution(8, 4);
        using var _ = no_grad();
        var x = randn(2 * 5, 8, 3, 3);                           // B = 2 videos of F = 5 frames
        Assert.True(tc.forward(x, 5).eq(x).all().item<bool>());

        Wake(tc);
        var y = tc.forward(x, 5);
        Assert.True(MaxDiff(y, x) > 1e-3);
        // Kernel 3: changing frame 0 of video 0 changes frames 0 and 1 of video 0 only (the norm aside, which spans
        // the video: so check against a change that keeps the frame's statistics, a spatial permutation).
        var x2 = x.clone();
        x2[0] = x[0].flip(1, 2);
        var d = (tc.forward(x2, 5) - y).abs().amax([1, 2, 3]);
        Assert.True(d[2].item<float>() < 1e-5 && d[4].item<float>() < 1e-5, "frames beyond the kernel changed");
        Assert.True(d[5..].max().item<float>() < 1e-6, "another video changed");
        Assert.True(d[1].item<float>() > 1e-4, "the neighbouring frame did not change");
    }

    [Fact]
    public void TemporalAttentionIsIdentityThenDependsOnFrameOrder()
    {
        manual_seed(0);
        var ta = new TemporalAttention(8, 2, 4, maxFrames: 6);
        using var _ = no_grad();
        var x = randn(4, 8, 2, 3);                               // B = 1 video of F = 4 frames
        Assert.True(ta.forward(x, 4).eq(x).all().item<bool>());

        Wake(ta);
        var perm = tensor(new long[] { 2, 0, 3, 1 });
        var y = ta.forward(x, 4);
        Assert.True(MaxDiff(y, x) > 1e-3);
        // The learned frame positions make the block order-aware: permuting frames does not just permute outputs.
        Assert.True(MaxDiff(y.index_select(0, perm), ta.forward(x.index_select(0, perm), 4)) > 1e-4);
        Assert.Throws<ArgumentOutOfRangeException>(() => ta.forward(randn(7, 8, 2, 3), 7));
    }

    [Fact]
    public void SinusoidalEmbeddingIsDiffusersCosThenSin()
    {
        var e = TimestepEmbedding.Sinusoidal(tensor(new long[] { 0, 1 }), 4);
        // half = 2, frequencies 10000^(-i/2): 1 and 0.01.
        float[] expected = [1, 1, 0, 0, MathF.Cos(1), MathF.Cos(0.01f), MathF.Sin(1), MathF.Sin(0.01f)];
        var actual = e.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6f);
    }

    [Fact]
    public void MultiHeadAttentionMatchesSoftmaxFormula()
    {
        manual_seed(0);
        var q = randn(2, 5, 8);
        var k = randn(2, 3, 8);
        var v = randn(2, 3, 8);
        var o = Attention.MultiHead(q, k, v, heads: 2);
        for (int h = 0; h < 2; h++)
        {
            var s = TensorIndex.Slice(4 * h, 4 * h + 4);
            var (qh, kh, vh) = (q[.., .., s], k[.., .., s], v[.., .., s]);
            var reference = (qh.matmul(kh.transpose(1, 2)) / 2.0).softmax(-1).matmul(vh);
            Assert.True(o[.., .., s].allclose(reference, rtol: 1e-4, atol: 1e-5));
        }
    }

    [Fact]
    public void ResBlockHasDiffusersNamesAndOnlyTheLayersItNeeds()
    {
        var names = new ResBlock(8, 16, 4, 1e-5, timeDim: 32, temporal: true).named_parameters().Select(p => p.name).ToHashSet();
        Assert.Superset(new[] { "norm1.weight", "conv1.weight", "time_emb_proj.weight", "norm2.bias", "conv2.weight", "conv_shortcut.weight", "temp_conv1.conv.weight", "temp_conv2.norm.weight" }.ToHashSet(), names);
        var plain = new ResBlock(8, 8, 4, 1e-6).named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "norm1.bias", "norm1.weight", "norm2.bias", "norm2.weight"], plain.Order());
    }

    [Fact]
    public void GroupNormStartsAsPlainNormalisation()
    {
        var norm = Norms.Group(2, 4);
        Assert.Equal([1f, 1, 1, 1], norm.weight.data<float>().ToArray());
        Assert.Equal([0f, 0, 0, 0], norm.bias!.data<float>().ToArray());
    }
}
