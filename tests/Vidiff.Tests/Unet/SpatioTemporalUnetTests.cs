using TorchSharp;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Tests.Unet;

public class SpatioTemporalUnetTests
{
    static readonly UnetConfig Cfg = UnetConfig.Tiny;

    sealed record Batch(Tensor Latents, Tensor Structure, Tensor Timesteps, Tensor Content);

    static Batch RandomBatch(long b, long f, long h = 8, long w = 8, int seed = 1)
    {
        var g = new Generator((ulong)seed);
        return new(randn([b, 4, f, h, w], generator: g), randn([b, 1, f, h, w], generator: g),
            tensor(Enumerable.Range(0, (int)b).Select(i => 100L + 300 * i).ToArray()), randn([b, 1, Cfg.ContentDim], generator: g));
    }

    static Tensor Run(SpatioTemporalUnet net, Batch x, bool perFrame = false) => net.forward(x.Latents, x.Structure, x.Timesteps, x.Content, perFrame);

    static SpatioTemporalUnet NewNet(UnetConfig? cfg = null)
    {
        manual_seed(0);
        return new SpatioTemporalUnet(cfg ?? Cfg);
    }

    /// <summary>One Adam step on a video batch, so the zero-initialised temporal layers become active.</summary>
    static void TrainOneStep(SpatioTemporalUnet net)
    {
        var x = RandomBatch(1, 8, seed: 7);
        using var opt = optim.Adam(net.parameters(), lr: 1e-3);
        opt.zero_grad();
        nn.functional.mse_loss(Run(net, x), randn_like(x.Latents)).backward();
        opt.step();
    }

    static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Fact]
    public void OneFrameVideoIsExactlyTheImageModel()
    {
        using var net = NewNet();
        TrainOneStep(net);
        var x = RandomBatch(2, 1);
        Assert.True(Run(net, x).eq(Run(net, x, perFrame: true)).all().item<bool>());
    }

    [Fact]
    public void TemporalLayersAreIdentityUntilTrained()
    {
        using var net = NewNet();
        var x = RandomBatch(1, 8);
        Assert.True(Run(net, x).eq(Run(net, x, perFrame: true)).all().item<bool>());

        TrainOneStep(net);
        Assert.True(MaxDiff(Run(net, x), Run(net, x, perFrame: true)) > 1e-4);
    }

    [Fact]
    public void StructureAtEveryLevelStartsAsThePlainUnetAndLearnsToReadIt()
    {
        using var plain = NewNet();
        using var every = NewNet(Cfg with { StructureAtEveryLevel = true });
        var extra = every.state_dict().Keys.Except(plain.state_dict().Keys).ToArray();
        Assert.Equal(["structure_convs.0.bias", "structure_convs.0.weight", "structure_convs.1.bias", "structure_convs.1.weight"], extra.Order());
        every.load_state_dict(plain.state_dict(), strict: false);
        var x = RandomBatch(1, 4);
        Assert.True(Run(plain, x).eq(Run(every, x)).all().item<bool>()); // zero-initialised: exactly the imported UNet

        // Trained, the level-1 path alone changes the output with the structure.
        TrainOneStep(every);
        var before = Run(every, x);
        using (no_grad()) every.get_parameter("structure_convs.1.weight")!.add_(0.1);
        Assert.True(MaxDiff(before, Run(every, x)) > 1e-4);
    }

    [Theory]
    [InlineData(1, 8, 8)]
    [InlineData(8, 8, 8)]
    [InlineData(16, 8, 8)]
    [InlineData(8, 8, 12)]
    [InlineData(3, 6, 10)]
    public void OutputHasTheLatentShape(int frames, int h, int w)
    {
        using var net = NewNet();
        using var _ = no_grad();
        var y = Run(net, RandomBatch(2, frames, h, w));
        Assert.Equal(new long[] { 2, 4, frames, h, w }, y.shape);
        Assert.True(y.isfinite().all().item<bool>());
    }

    [Fact]
    public void StructureAndContentChangeTheOutput()
    {
        using var net = NewNet();
        using var _ = no_grad();
        var x = RandomBatch(1, 4);
        var y = Run(net, x);
        Assert.True(MaxDiff(y, Run(net, x with { Structure = -x.Structure })) > 1e-3);
        Assert.True(MaxDiff(y, Run(net, x with { Content = zeros_like(x.Content) })) > 1e-3);
        Assert.True(MaxDiff(y, Run(net, x with { Timesteps = x.Timesteps + 400 })) > 1e-3);
    }

    [Fact]
    public void MultipleContentTokensAreProjectedAndAttended()
    {
        using var net = NewNet(Cfg with { ContentTokens = 4 });
        using var _ = no_grad();
        Assert.Contains(net.named_parameters(), p => p.name == "content_proj.weight" && p.parameter.shape.SequenceEqual(new long[] { 4 * Cfg.ContentDim, Cfg.ContentDim }));
        var x = RandomBatch(1, 2);
        Assert.True(MaxDiff(Run(net, x), Run(net, x with { Content = zeros_like(x.Content) })) > 1e-3);
    }

    [Fact]
    public void PerFramePathIsFrameOrderEquivariantAndVideoPathIsNot()
    {
        using var net = NewNet();
        TrainOneStep(net);
        using var _ = no_grad();
        var x = RandomBatch(1, 6);
        var perm = tensor(new long[] { 3, 0, 5, 1, 4, 2 });
        var shuffled = x with { Latents = x.Latents.index_select(2, perm), Structure = x.Structure.index_select(2, perm) };

        Assert.True(MaxDiff(Run(net, x, perFrame: true).index_select(2, perm), Run(net, shuffled, perFrame: true)) < 1e-5);
        Assert.True(MaxDiff(Run(net, x).index_select(2, perm), Run(net, shuffled)) > 1e-4);
    }

    [Fact]
    public void OverfitsAFixedBatch()
    {
        using var net = NewNet();
        var x = RandomBatch(2, 4, seed: 3);
        var target = randn(x.Latents.shape, generator: new Generator(4));
        using var opt = optim.Adam(net.parameters(), lr: 3e-3);
        double first = 0, loss = 0;
        for (int step = 0; step < 300; step++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var l = nn.functional.mse_loss(Run(net, x), target);
            l.backward();
            opt.step();
            loss = l.item<float>();
            if (step == 0) first = loss;
            if (loss < first / 10) break;
        }
        Assert.True(loss < first / 10, $"loss {first:F4} -> {loss:F4} in 300 steps");
    }

    [Fact]
    public void Bfloat16ForwardIsCloseToFloat32()
    {
        using var net = NewNet();
        TrainOneStep(net);
        using var _ = no_grad();
        var x = RandomBatch(1, 4);
        var reference = Run(net, x);
        net.to(ScalarType.BFloat16);
        var y = Run(net, x);
        Assert.Equal(ScalarType.Float32, y.dtype);
        double rel = ((y - reference).norm() / reference.norm()).item<float>();
        Assert.True(rel < 0.05, $"relative error {rel:F4}");
        Assert.True(rel > 0, "bf16 should round somewhere");
    }

    [Fact]
    public void ParameterNamesFollowDiffusers()
    {
        // Stable Diffusion 1.5's layout at a small width: four levels, no transformer on the last.
        using var net = NewNet(Cfg with { BlockChannels = [16, 16, 32, 32], Transformers = [true, true, true, false], LayersPerBlock = 2 });
        var shapes = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        (string, long[])[] expected =
        [
            ("conv_in.weight", [16, 5, 3, 3]),
            ("time_embedding.linear_1.weight", [64, 16]),
            ("time_embedding.linear_2.weight", [64, 64]),
            ("down_blocks.0.resnets.0.time_emb_proj.weight", [16, 64]),
            ("down_blocks.0.attentions.1.proj_in.weight", [16, 16, 1, 1]),
            ("down_blocks.0.attentions.1.transformer_blocks.0.attn2.to_k.weight", [16, 32]),
            ("down_blocks.0.attentions.1.transformer_blocks.0.ff.net.0.proj.weight", [128, 16]),
            ("down_blocks.0.attentions.1.transformer_blocks.0.ff.net.2.weight", [16, 64]),
            ("down_blocks.0.downsamplers.0.conv.weight", [16, 16, 3, 3]),
            ("down_blocks.2.resnets.0.conv_shortcut.weight", [32, 16, 1, 1]),
            ("down_blocks.3.resnets.1.conv2.weight", [32, 32, 3, 3]),
            ("mid_block.attentions.0.transformer_blocks.0.attn1.to_out.0.bias", [32]),
            ("mid_block.resnets.1.norm2.weight", [32]),
            ("up_blocks.0.resnets.0.conv1.weight", [32, 64, 3, 3]),
            ("up_blocks.0.resnets.2.conv_shortcut.weight", [32, 64, 1, 1]),
            ("up_blocks.0.upsamplers.0.conv.weight", [32, 32, 3, 3]),
            ("up_blocks.1.resnets.2.conv1.weight", [32, 48, 3, 3]),
            ("up_blocks.1.attentions.2.proj_out.weight", [32, 32, 1, 1]),
            ("up_blocks.3.resnets.0.conv1.weight", [16, 32, 3, 3]),
            ("up_blocks.3.resnets.2.conv_shortcut.weight", [16, 32, 1, 1]),
            ("conv_norm_out.weight", [16]),
            ("conv_out.weight", [4, 16, 3, 3]),
            // Temporal layers of paper §2.
            ("down_blocks.0.resnets.0.temp_conv1.conv.weight", [16, 16, 3]),
            ("up_blocks.3.resnets.2.temp_conv2.norm.weight", [16]),
            ("down_blocks.1.temp_attentions.1.frame_pos", [16, 16]),
            ("mid_block.temp_attentions.0.proj_out.weight", [32, 32]),
            ("up_blocks.1.temp_attentions.2.transformer_blocks.0.attn1.to_q.weight", [32, 32]),
        ];
        foreach (var (name, shape) in expected)
        {
            Assert.True(shapes.TryGetValue(name, out var actual), $"missing {name}");
            Assert.Equal(shape, actual);
        }
        Assert.DoesNotContain(shapes.Keys, k => k.StartsWith("down_blocks.3.attentions") || k.StartsWith("up_blocks.0.attentions") || k.StartsWith("up_blocks.0.temp_attentions"));
        Assert.DoesNotContain(shapes.Keys, k => k.Contains("attn1.to_q.bias") || k.Contains("transformer_blocks.0.attn2.to_v.bias"));
        Assert.DoesNotContain(shapes.Keys, k => k.Contains("temp_attentions") && k.Contains("attn2"));
    }

    [Fact]
    public void RejectsMismatchedInputsWithAClearMessage()
    {
        using var net = NewNet();
        var x = RandomBatch(1, 2);
        var e = Assert.Throws<ArgumentException>(() => Run(net, x with { Structure = x.Structure[.., .., ..1] }));
        Assert.Contains("structure has shape [1, 1, 1, 8, 8]; expected [1, 1, 2, 8, 8]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Run(net, x with { Content = randn(1, 1, 7) }));
        Assert.Contains("content has shape [1, 1, 7]", e.Message);
        e = Assert.Throws<ArgumentException>(() => Run(net, RandomBatch(1, 17)));
        Assert.Contains("at most 16", e.Message);
    }
}
