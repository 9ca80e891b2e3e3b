using Vidiff.Clip;
using Vidiff.Tests.Prior;
using static TorchSharp.torch;

namespace Vidiff.Tests.Clip;

/// <summary>Against transformers' CLIP (tools/fixtures/make_clip_prior_fixtures.py): same keys, same outputs.</summary>
public class ClipModelParityTests
{
    [Fact]
    public void TinyClipMatchesTransformers()
    {
        var model = new ClipModel(ClipConfig.Tiny);
        SafetensorsFixture.LoadInto(model, SafetensorsFixture.Read("clip/tiny_clip.safetensors"));
        model.eval();
        var io = SafetensorsFixture.Read("clip/tiny_clip_io.safetensors");
        using var _ = no_grad();

        var text = model.EncodeTextFull(io["input_ids"]);
        AssertClose(io["text_last_hidden_state"], text.LastHiddenState);
        AssertClose(io["text_embeds"], text.TextEmbeds);

        // Frames in [-1, 1] at the tower's size: preprocessing reduces to CLIP's normalisation.
        AssertClose(io["image_embeds"], model.EncodeImage(io["frames"]));
    }

    static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double err = (expected - actual).abs().max().item<float>();
        Assert.True(err < 1e-4, $"max abs difference {err}");
    }
}
