using Vidiff.Diffusion;
using static TorchSharp.torch;

namespace Vidiff.Tests.Diffusion;

public class GuidanceTests
{
    // A stand-in network whose passes are told apart by value: video m = 2 z + c₀, per frame m_π = 3 z + c₀ (c₀ the
    // first content feature of each sample). Records every call.
    sealed class FakeModel
    {
        public List<(long Batch, bool PerFrame, float[] Content)> Calls { get; } = [];

        public Tensor Run(Tensor zt, Tensor t, Tensor content, bool perFrame)
        {
            Assert.Equal(zt.shape[0], t.shape[0]);
            Assert.Equal(zt.shape[0], content.shape[0]);
            Calls.Add((zt.shape[0], perFrame, content[.., 0].contiguous().data<float>().ToArray()));
            return (perFrame ? 3 : 2) * zt + content[.., 0].view(-1, 1, 1, 1, 1);
        }
    }

    static readonly long[] Shape = [2, 4, 3, 2, 2];

    static (Tensor Z, Tensor T, Tensor Content, Tensor Null) Inputs() =>
        (full(Shape, 1.0f), tensor(new long[] { 500, 500 }), tensor(new float[] { 0.2f, 5, 0.2f, 5 }, [2, 2]), tensor(new float[] { -0.1f, 7 }, [1, 2]));

    [Fact]
    public void UnitScalesGiveThePlainVideoPredictionInOneCall()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, nullContent) = Inputs();
        var model = new FakeModel();
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 1, temporalScale: 1, GuidanceForm.Both)(z, t);
        Assert.Single(model.Calls);
        Assert.False(model.Calls[0].PerFrame);
        Assert.True(guided.allclose(2 * z + 0.2f));
    }

    [Fact]
    public void ZeroTemporalScaleGivesThePerFramePrediction()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, nullContent) = Inputs();
        var model = new FakeModel();
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 1, temporalScale: 0, GuidanceForm.Both)(z, t);
        Assert.Equal([(2L, true)], model.Calls.Select(c => (c.Batch, c.PerFrame)));
        Assert.True(guided.allclose(3 * z + 0.2f));
    }

    [Fact]
    public void CombinedGuidanceMatchesTheHandComputedValue()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, nullContent) = Inputs();
        var model = new FakeModel();
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 7.5, temporalScale: 1.5, GuidanceForm.Both)(z, t);

        // z = 1: m(c) = 2.2, m_π(c) = 3.2, m(∅) = 1.9, m_π(∅) = 2.9. Temporal, on both terms: m_g(c) = 3.2 + 1.5 (2.2 − 3.2)
        // = 1.7, m_g(∅) = 2.9 + 1.5 (1.9 − 2.9) = 1.4. Classifier-free on top: 1.4 + 7.5 (1.7 − 1.4) = 3.65.
        Assert.True(guided.allclose(full(Shape, 3.65f), atol: 1e-5));
        // Each model's two passes (conditional, unconditional) share one call of batch 2B.
        Assert.Equal([(4L, false), (4L, true)], model.Calls.Select(c => (c.Batch, c.PerFrame)));
        Assert.Equal([0.2f, 0.2f, -0.1f, -0.1f], model.Calls[0].Content);
        Assert.Equal([0.2f, 0.2f, -0.1f, -0.1f], model.Calls[1].Content);
    }

    [Fact]
    public void NegativeContentReplacesTheNullEmbedding()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, _) = Inputs();
        var negative = tensor(new float[] { 0.6f, 1, 0.6f, 1 }, [2, 2]);
        var model = new FakeModel();
        var guided = Guidance.Combine(model.Run, content, negative, contentScale: 3, temporalScale: 1, GuidanceForm.Both)(z, t);
        // m(neg) = 2.6, m(c) = 2.2: 2.6 + 3 (2.2 − 2.6) = 1.4.
        Assert.True(guided.allclose(full(Shape, 1.4f), atol: 1e-5));
        Assert.Equal([0.2f, 0.2f, 0.6f, 0.6f], Assert.Single(model.Calls).Content);
    }

    [Fact]
    public void ZeroContentScaleNeedsOnlyTheUnconditionalPasses()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, nullContent) = Inputs();
        var model = new FakeModel();
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 0, temporalScale: 2, GuidanceForm.Both)(z, t);
        // The temporally guided unconditional prediction: m_π(∅) + 2 (m(∅) − m_π(∅)) = 3z − 0.1 + 2 (−z) = z − 0.1.
        Assert.True(guided.allclose(z - 0.1f));
        Assert.All(model.Calls, c => Assert.Equal([-0.1f, -0.1f], c.Content));
        Assert.Equal([(2L, false), (2L, true)], model.Calls.Select(c => (c.Batch, c.PerFrame)));
    }

    [Fact]
    public void ContentScaleScalesContentAloneNotTheTemporalTerm()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, _) = Inputs();
        // With content equal to the null content, m_g(c) = m_g(∅): no ω may change the prediction, which is then plain
        // temporal guidance, 3.2 + 1.5 (2.2 − 3.2) = 1.7.
        var sameAsContent = content[..1].clone();
        foreach (var scale in new[] { 1.0, 2.0, 7.5 })
        {
            var guided = Guidance.Combine(new FakeModel().Run, content, sameAsContent, contentScale: scale, temporalScale: 1.5, GuidanceForm.Both)(z, t);
            Assert.True(guided.allclose(full(Shape, 1.7f), atol: 1e-5), $"ω = {scale}");
        }
    }

    [Fact]
    public void ThePapersFormGuidesTheUnconditionalTermTemporallyInThreePasses()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, nullContent) = Inputs();
        var model = new FakeModel();
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 7.5, temporalScale: 1.5, GuidanceForm.Paper)(z, t);

        // z = 1: m(c) = 2.2, m(∅) = 1.9, m_π(∅) = 2.9. m_π(∅) + 1.5 (m(∅) − m_π(∅)) + 7.5 (m(c) − m(∅)) = 1.4 + 2.25 = 3.65:
        // the same as both terms guided here, since m(c) − m_π(c) = m(∅) − m_π(∅) for this network.
        Assert.True(guided.allclose(full(Shape, 3.65f), atol: 1e-5));
        // The video model on c and ∅ in one call, the per-frame model on ∅ alone: three passes where both terms take four.
        Assert.Equal([(4L, false), (2L, true)], model.Calls.Select(c => (c.Batch, c.PerFrame)));
        Assert.Equal([0.2f, 0.2f, -0.1f, -0.1f], model.Calls[0].Content);
        Assert.Equal([-0.1f, -0.1f], model.Calls[1].Content);
    }

    [Fact]
    public void TheFormsDifferWhereContentChangesThePerFrameAndVideoModelsDifferently()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, nullContent) = Inputs();
        // The per-frame model reads content twice as strongly as the video model: m_π = 3 z + 2 c₀, m = 2 z + c₀.
        Tensor Run(Tensor zt, Tensor time, Tensor c, bool perFrame) => (perFrame ? 3 : 2) * zt + (perFrame ? 2 : 1) * c[.., 0].view(-1, 1, 1, 1, 1);
        // m(c) = 2.2, m(∅) = 1.9, m_π(c) = 3.4, m_π(∅) = 2.8.
        // Paper: 2.8 + 1.5 (1.9 − 2.8) + 2 (2.2 − 1.9) = 1.45 + 0.6 = 2.05.
        // Both: m_g(c) = 3.4 + 1.5 (2.2 − 3.4) = 1.6, m_g(∅) = 2.8 + 1.5 (1.9 − 2.8) = 1.45; 1.45 + 2 (1.6 − 1.45) = 1.75.
        Assert.True(Guidance.Combine(Run, content, nullContent, 2, 1.5, GuidanceForm.Paper)(z, t).allclose(full(Shape, 2.05f), atol: 1e-5));
        Assert.True(Guidance.Combine(Run, content, nullContent, 2, 1.5, GuidanceForm.Both)(z, t).allclose(full(Shape, 1.75f), atol: 1e-5));
    }

    [Theory]
    [InlineData(1.0, 1.0, "video c")] // the plain video model
    [InlineData(3.0, 1.0, "video c+∅")] // classifier-free guidance of the video model alone
    [InlineData(0.0, 2.0, "video ∅; per-frame ∅")] // temporal guidance of the unconditional prediction alone
    [InlineData(0.0, 0.0, "per-frame ∅")]
    [InlineData(2.0, 2.0, "video c; per-frame ∅")] // ω_t = ω: m(∅) cancels
    public void ThePapersFormSkipsThePassesItsWeightsZero(double contentScale, double temporalScale, string passes)
    {
        using var scope = NewDisposeScope();
        var (z, t, content, nullContent) = Inputs();
        var model = new FakeModel();
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale, temporalScale, GuidanceForm.Paper)(z, t);
        string Name((long Batch, bool PerFrame, float[] Content) c) => (c.PerFrame ? "per-frame " : "video ") + (c.Batch == 4 ? "c+∅" : c.Content[0] == 0.2f ? "c" : "∅");
        Assert.Equal(passes, string.Join("; ", model.Calls.Select(Name)));
        // m(c) = 2.2, m(∅) = 1.9, m_π(∅) = 2.9.
        double expected = 2.9 + temporalScale * (1.9 - 2.9) + contentScale * (2.2 - 1.9);
        Assert.True(guided.allclose(full(Shape, (float)expected), atol: 1e-5), $"{guided.mean().item<float>()} against {expected}");
    }

    [Fact]
    public void RejectsNullContentOfAnotherShape()
    {
        using var scope = NewDisposeScope();
        var (_, _, content, _) = Inputs();
        var error = Assert.Throws<ArgumentException>(() => Guidance.Combine(new FakeModel().Run, content, zeros(1, 3), 7.5, 1, GuidanceForm.Paper));
        Assert.Contains("[2, 2]", error.Message);
    }
}
