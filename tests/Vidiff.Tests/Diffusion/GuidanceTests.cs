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
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 1, temporalScale: 1)(z, t);
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
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 1, temporalScale: 0)(z, t);
        Assert.Equal([(2L, true)], model.Calls.Select(c => (c.Batch, c.PerFrame)));
        Assert.True(guided.allclose(3 * z + 0.2f));
    }

    [Fact]
    public void CombinedGuidanceMatchesTheHandComputedValue()
    {
        using var scope = NewDisposeScope();
        var (z, t, content, nullContent) = Inputs();
        var model = new FakeModel();
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 7.5, temporalScale: 1.5)(z, t);

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
        var guided = Guidance.Combine(model.Run, content, negative, contentScale: 3, temporalScale: 1)(z, t);
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
        var guided = Guidance.Combine(model.Run, content, nullContent, contentScale: 0, temporalScale: 2)(z, t);
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
            var guided = Guidance.Combine(new FakeModel().Run, content, sameAsContent, contentScale: scale, temporalScale: 1.5)(z, t);
            Assert.True(guided.allclose(full(Shape, 1.7f), atol: 1e-5), $"ω = {scale}");
        }
    }

    [Fact]
    public void RejectsNullContentOfAnotherShape()
    {
        using var scope = NewDisposeScope();
        var (_, _, content, _) = Inputs();
        var error = Assert.Throws<ArgumentException>(() => Guidance.Combine(new FakeModel().Run, content, zeros(1, 3), 7.5, 1));
        Assert.Contains("[2, 2]", error.Message);
    }
}
