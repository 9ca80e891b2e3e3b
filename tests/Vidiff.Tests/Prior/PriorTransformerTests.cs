using Vidiff.Prior;
using static TorchSharp.torch;

namespace Vidiff.Tests.Prior;

public class PriorTransformerTests
{
    static PriorTransformer Tiny()
    {
        manual_seed(0);
        var prior = new PriorTransformer(PriorConfig.Tiny);
        using (no_grad())
            foreach (var p in prior.parameters()) p.add_(randn_like(p) * 0.1);
        prior.eval();
        return prior;
    }

    [Fact]
    public void PredictsOneImageEmbeddingPerSample()
    {
        using var _ = no_grad();
        var pred = Tiny().forward(randn(3, 24), tensor(500L), randn(3, 24), randn(3, 16, 24), null);
        Assert.Equal([3L, 24], pred.shape);
    }

    [Fact]
    public void PaddingTokensAreMaskedOut()
    {
        using var _ = no_grad();
        var prior = Tiny();
        var (x, t, embed, hidden) = (randn(1, 24), tensor(new long[] { 300 }), randn(1, 24), randn(1, 16, 24));
        var mask = arange(16).lt(5).unsqueeze(0);
        var changed = hidden.clone();
        changed[.., 5..] = randn(1, 11, 24);
        var a = prior.forward(x, t, embed, hidden, mask);
        Assert.True(a.allclose(prior.forward(x, t, embed, changed, mask), atol: 1e-5));
        // Without a mask every token counts.
        Assert.False(prior.forward(x, t, embed, hidden, null).allclose(prior.forward(x, t, embed, changed, null), atol: 1e-5));
    }

    [Fact]
    public void WrongTextLengthIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Tiny().forward(randn(1, 24), tensor(1L), randn(1, 24), randn(1, 8, 24), null));
        Assert.Contains("expects 16", e.Message);
    }

    [Fact]
    public void KeysFollowDiffusersPriorTransformer()
    {
        var keys = Tiny().state_dict().Keys.ToHashSet();
        foreach (var k in new[] { "time_embedding.linear_1.weight", "time_embedding.linear_2.bias", "proj_in.weight",
                     "embedding_proj.bias", "encoder_hidden_states_proj.weight", "positional_embedding", "prd_embedding",
                     "transformer_blocks.1.attn1.to_out.0.weight", "transformer_blocks.0.ff.net.0.proj.weight",
                     "transformer_blocks.0.ff.net.2.bias", "transformer_blocks.0.norm3.weight", "norm_out.bias",
                     "proj_to_clip_embeddings.weight", "clip_mean", "clip_std" })
            Assert.Contains(k, keys);
        Assert.Equal(50, keys.Count);
    }

    [Fact]
    public void StatisticsMapBetweenPriorAndClipUnits()
    {
        var prior = Tiny();
        prior.SetStatistics(full(24, 2f), full(24, 3f));
        var e = randn(2, 24);
        Assert.True(prior.Denormalize(prior.Normalize(e)).allclose(e, atol: 1e-5));
        Assert.Equal(5f, prior.Denormalize(ones(1, 24))[0, 0].item<float>());
    }
}
