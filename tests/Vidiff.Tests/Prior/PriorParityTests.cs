using Vidiff.Prior;
using Vidiff.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Prior;

/// <summary>Against diffusers' PriorTransformer and UnCLIPScheduler (tools/fixtures/make_clip_prior_fixtures.py).</summary>
public class PriorParityTests
{
    static PriorTransformer LoadTiny()
    {
        var prior = new PriorTransformer(PriorConfig.Tiny);
        SafetensorsFixture.LoadInto(prior, "prior/tiny_prior.safetensors");
        prior.eval();
        return prior;
    }

    [Fact]
    public void ForwardMatchesDiffusers()
    {
        var prior = LoadTiny();
        var io = SafetensorsFixture.Read("prior/tiny_prior_io.safetensors");
        using var _ = no_grad();
        var pred = prior.forward(io["x"], io["timesteps"], io["text_embed"], io["text_hidden"], io["text_mask"]);
        Fixtures.AssertClose(io["predicted_image_embedding"], pred);
    }

    [Fact]
    public void ScheduleMatchesUnclipScheduler()
    {
        var io = SafetensorsFixture.Read("prior/tiny_prior_io.safetensors");
        Assert.Equal(io["scheduler_timesteps"].data<long>().Select(t => (int)t).ToArray(), DiffusionPrior.Timesteps(1000, 5));
        // round(23 · 999/24) = round(957.375)
        Assert.Equal([999, 957], DiffusionPrior.Timesteps(1000, 25)[..2]);
    }

    [Fact]
    public void GuidedSamplingMatchesUnclipPipeline()
    {
        var prior = LoadTiny();
        var io = SafetensorsFixture.Read("prior/tiny_prior_io.safetensors");
        var sampler = new DiffusionPrior(prior, io["null_text_embed"], io["null_text_hidden"], io["null_text_mask"]);
        ulong seed = (ulong)io["seed"].item<long>();

        // The same CPU generator algorithm draws the same noise, so the whole chain is comparable.
        var g = new Generator(seed);
        Fixtures.AssertClose(io["noise"][0], randn([2, 24], generator: g));

        var sample = sampler.Sample(io["text_embed"], io["text_hidden"], new Generator(seed), io["text_mask"]);
        Fixtures.AssertClose(io["sample"], sample);
    }
}
