using Vidiff.Tests.Nn.Parity;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Tests.Unet;

/// <summary>The spatial part equals diffusers' UNet2DConditionModel given the same weights (fixture: Nn/Parity).</summary>
public class DiffusersParityTests
{
    static readonly UnetConfig Sd1Like = new([16, 32, 32], [true, true, false], AttentionHeads: 2, ContentDim: 24, NormGroups: 8);

    [Theory]
    [InlineData("unet_sd1")]
    [InlineData("unet_sd2")]
    public void MatchesDiffusers(string name)
    {
        var f = DiffusersParity.Fixture(name);
        var cfg = name == "unet_sd2" ? Sd1Like with { AttentionHeadDim = 8, LinearProjection = true } : Sd1Like;
        using var net = new SpatioTemporalUnet(cfg);

        // Same parameter names and shapes, apart from the temporal layers of paper §2.
        var theirs = DiffusersParity.Shapes(f);
        var ours = net.named_parameters().Where(p => !p.name.Contains("temp_")).ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(theirs.Keys.Order(), ours.Keys.Order());
        Assert.All(theirs, kv => Assert.Equal(kv.Value, ours[kv.Key]));

        DiffusersParity.Fill(net, theirs.Keys.ToHashSet());
        using var _ = no_grad();
        var args = (DiffusersParity.Tensor(f, "latents"), DiffusersParity.Tensor(f, "structure"), DiffusersParity.Tensor(f, "timesteps"), DiffusersParity.Tensor(f, "content"));
        var expected = DiffusersParity.Tensor(f, "output");
        var perFrame = net.forward(args.Item1, args.Item2, args.Item3, args.Item4, perFrame: true);
        Assert.True(perFrame.allclose(expected, rtol: 1e-3, atol: 1e-4), $"max diff {(perFrame - expected).abs().max().item<float>()}");
        // Untrained temporal layers are the identity, so the video path is the image model too.
        Assert.True(net.forward(args.Item1, args.Item2, args.Item3, args.Item4).allclose(perFrame, rtol: 0, atol: 0));
    }
}
