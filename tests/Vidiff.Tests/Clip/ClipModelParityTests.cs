using Vidiff.Clip;
using Vidiff.Tests.Prior;
using Vidiff.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Clip;

/// <summary>Against transformers' CLIP (tools/fixtures/make_clip_prior_fixtures.py): same keys, same outputs.</summary>
public class ClipModelParityTests
{
    [Fact]
    public void TinyClipMatchesTransformers()
    {
        var model = new ClipModel(ClipConfig.Tiny);
        SafetensorsFixture.LoadInto(model, "clip/tiny_clip.safetensors");
        model.eval();
        var io = SafetensorsFixture.Read("clip/tiny_clip_io.safetensors");
        using var _ = no_grad();

        var text = model.EncodeTextFull(io["input_ids"]);
        Fixtures.AssertClose(io["text_last_hidden_state"], text.LastHiddenState);
        Fixtures.AssertClose(io["text_embeds"], text.TextEmbeds);

        // Frames in [-1, 1] at the tower's size: preprocessing reduces to CLIP's normalisation.
        Fixtures.AssertClose(io["image_embeds"], model.EncodeImage(io["frames"]));
    }

    [Fact]
    public void PreprocessingFollowsClipImageProcessor()
    {
        // The processor works on 8-bit PIL images; we stay in float. Same sizes and crop, values within
        // PIL's rounding and the small kernel differences of torch's antialiased bicubic (measured: mean 0.004,
        // max 0.015, i.e. one 8-bit level after normalisation).
        var io = SafetensorsFixture.Read("clip/preprocess_io.safetensors");
        var ours = ClipImagePreprocessor.Preprocess(io["frames"], 32);
        Assert.Equal(io["pixel_values"].shape, ours.shape);
        var diff = (io["pixel_values"] - ours).abs();
        Assert.True(diff.mean().item<float>() < 0.01, $"mean abs difference {diff.mean().item<float>()}");
        Assert.True(diff.max().item<float>() < 0.03, $"max abs difference {diff.max().item<float>()}");
    }
}
