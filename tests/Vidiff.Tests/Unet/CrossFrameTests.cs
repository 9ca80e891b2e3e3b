using TorchSharp;
using Vidiff.Nn;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Tests.Unet;

/// <summary>Cross-frame attention (issue 18 §2): what a frame's output depends on, with and without anchors.</summary>
public class CrossFrameTests
{
    static readonly UnetConfig Cfg = UnetConfig.Tiny;

    static SpatioTemporalUnet NewNet()
    {
        manual_seed(0);
        return new SpatioTemporalUnet(Cfg);
    }

    /// <summary>The UNet per frame on [B, 4, F, 8, 8] latents, with fixed structure, timesteps and content.</summary>
    static Tensor Run(SpatioTemporalUnet net, Tensor latents, int[]? anchors, bool perFrame = true)
    {
        var g = new Generator(5);
        long b = latents.shape[0], f = latents.shape[2];
        using var structure = randn([b, 1, f, 8, 8], generator: g);
        using var content = randn([b, 1, Cfg.ContentDim], generator: g);
        using var t = full([b], 400L);
        using var _ = no_grad();
        return net.forward(latents, structure, t, content, perFrame, anchors);
    }

    static Tensor Latents(long b, long f, ulong seed = 1) => randn([b, 4, f, 8, 8], generator: new Generator(seed));

    static float MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Fact]
    public void KeysOfEachFrameAreFollowedByItsVideosAnchors()
    {
        // 2 videos × 3 frames, 2 tokens of width 1 holding 10·frame + token (+ 100 for the second video).
        using var keys = tensor(Enumerable.Range(0, 12).Select(i => (float)(i / 6 * 100 + i % 6 / 2 * 10 + i % 2)).ToArray()).view(6, 2, 1);
        using var extended = new CrossFrame(3, [0, 2]).WithAnchors(keys);
        Assert.Equal(new long[] { 6, 6, 1 }, extended.shape);
        float[] Row(int n) => extended[n].flatten().data<float>().ToArray();
        Assert.Equal(new float[] { 10, 11, 0, 1, 20, 21 }, Row(1));
        Assert.Equal(new float[] { 120, 121, 100, 101, 120, 121 }, Row(5));
    }

    [Fact]
    public void WithAnchorsAFrameDependsOnTheAnchorFrameAndNoOther()
    {
        using var net = NewNet();
        using var z = Latents(1, 3);
        using var changedAnchor = z.clone();
        changedAnchor[.., .., 0] = randn(1, 4, 8, 8);
        using var changedOther = z.clone();
        changedOther[.., .., 1] = randn(1, 4, 8, 8);

        // Per frame without anchors, frame 2 is the image model's alone.
        Assert.Equal(0f, MaxDiff(Run(net, z, null)[.., .., 2], Run(net, changedAnchor, null)[.., .., 2]));
        // With frame 0 as anchor, frame 2 reads it, and still no other frame.
        Assert.True(MaxDiff(Run(net, z, [0])[.., .., 2], Run(net, changedAnchor, [0])[.., .., 2]) > 1e-3f);
        Assert.Equal(0f, MaxDiff(Run(net, z, [0])[.., .., 2], Run(net, changedOther, [0])[.., .., 2]));
        // Anchors change the output of the frames that are not anchors.
        Assert.True(MaxDiff(Run(net, z, [0])[.., .., 1..], Run(net, z, null)[.., .., 1..]) > 1e-3f);
    }

    [Fact]
    public void AnAnchorAttendsAsItWouldAloneSoOneFrameIsUnchanged()
    {
        using var net = NewNet();
        using var clip = Latents(1, 3);
        using var frame = Latents(2, 1, seed: 2);
        // Reading its own keys twice leaves each softmax weight as it was.
        Assert.True(MaxDiff(Run(net, clip, [0])[.., .., 0], Run(net, clip, null)[.., .., 0]) < 1e-5f);
        Assert.True(MaxDiff(Run(net, frame, [0]), Run(net, frame, null)) < 1e-5f);
        Assert.True(MaxDiff(Run(net, frame, [0], perFrame: false), Run(net, frame, null, perFrame: false)) < 1e-5f);
    }

    [Fact]
    public void EachVideoOfABatchReadsItsOwnAnchors()
    {
        // Classifier-free guidance batches the conditional and unconditional passes: each must anchor to its own frames.
        using var net = NewNet();
        using var a = Latents(1, 4, seed: 3);
        using var b = Latents(1, 4, seed: 4);
        using var both = cat([a, b]);
        var g = new Generator(5);
        using var structure = randn([2, 1, 4, 8, 8], generator: g);
        using var content = randn([2, 1, Cfg.ContentDim], generator: g);
        using var t = tensor(new[] { 300L, 700L });
        using var _ = no_grad();
        foreach (bool perFrame in new[] { true, false })
        {
            using var batched = net.forward(both, structure, t, content, perFrame, [0, 2]);
            for (int i = 0; i < 2; i++)
            {
                using var alone = net.forward(i == 0 ? a : b, structure[i..(i + 1)], t[i..(i + 1)], content[i..(i + 1)], perFrame, [0, 2]);
                Assert.True(MaxDiff(batched[i..(i + 1)], alone) < 1e-5f, $"video {i}, per frame {perFrame}");
            }
        }
    }

    [Fact]
    public void AnchorsOutsideTheFramesAreRefused()
    {
        using var net = NewNet();
        using var z = Latents(1, 3);
        var e = Assert.Throws<ArgumentException>(() => Run(net, z, [3]));
        Assert.Contains("anchor frames [3]; expected at least one, each in [0, 3)", e.Message);
        Assert.Throws<ArgumentException>(() => Run(net, z, []));
    }
}
