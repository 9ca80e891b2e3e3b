using Vidiff.Clip;
using static TorchSharp.torch;

namespace Vidiff.Tests.Clip;

public class ClipModelTests
{
    static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f];
    static readonly float[] Std = [0.26862954f, 0.26130258f, 0.27577711f];

    static ClipModel Tiny()
    {
        manual_seed(0);
        var model = new ClipModel(ClipConfig.Tiny);
        model.eval();
        return model;
    }

    static Tensor Ids(params long[][] rows) => tensor(rows.SelectMany(r => r).ToArray()).view(rows.Length, -1);

    [Fact]
    public void TextTowerGivesHiddenStatesAndProjection()
    {
        using var _ = no_grad();
        var text = Tiny().EncodeTextFull(Ids([97, 5, 6, 98, 0, 0], [97, 9, 9, 9, 9, 98]));
        Assert.Equal([2L, 6, 32], text.LastHiddenState.shape);
        Assert.Equal([2L, 24], text.TextEmbeds.shape);
    }

    [Fact]
    public void LaterTokensDoNotChangeEarlierHiddenStates()
    {
        using var _ = no_grad();
        var model = Tiny();
        var a = model.EncodeTextFull(Ids([97, 5, 6, 7, 98, 11, 12, 13])).LastHiddenState;
        var b = model.EncodeTextFull(Ids([97, 5, 6, 7, 98, 11, 40, 13])).LastHiddenState;
        Assert.True(a[.., ..6].allclose(b[.., ..6], rtol: 0, atol: 0));
        Assert.False(a[.., 6..].allclose(b[.., 6..]));
    }

    [Fact]
    public void TextEmbeddingIsProjectedStateAtFirstEndOfText()
    {
        using var _ = no_grad();
        var model = Tiny();
        var weights = model.state_dict()["text_projection.weight"];
        // The second row pads with the end-of-text id itself: the first occurrence is pooled.
        var text = model.EncodeTextFull(Ids([97, 5, 98, 0, 0, 0], [97, 3, 4, 98, 98, 98]));
        var expected = stack([text.LastHiddenState[0, 2], text.LastHiddenState[1, 3]]).matmul(weights.t());
        Assert.True(expected.allclose(text.TextEmbeds, atol: 1e-6));
    }

    [Fact]
    public void OpenAiVocabularyPoolsAtTheLargestId()
    {
        using var _ = no_grad();
        manual_seed(0);
        var config = ClipConfig.Tiny with { Text = ClipConfig.Tiny.Text with { VocabSize = 49408, EosTokenId = 2 } };
        var model = new ClipModel(config);
        // As transformers: rows whose largest id is 49407 pool at the argmax, whatever eos_token_id says.
        var text = model.EncodeTextFull(Ids([49406, 2, 320, 49407, 0, 0]));
        var expected = text.LastHiddenState[.., 3].matmul(model.state_dict()["text_projection.weight"].t());
        Assert.True(expected.allclose(text.TextEmbeds, atol: 1e-6));
    }

    [Fact]
    public void RowWithoutEndOfTextIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Tiny().EncodeText(Ids([97, 5, 6, 7])));
        Assert.Contains("end-of-text id 98", e.Message);
    }

    [Fact]
    public void ImageEmbeddingOfAnyFrameSize()
    {
        using var _ = no_grad();
        var embeds = Tiny().EncodeImage(rand(3, 3, 40, 56) * 2 - 1);
        Assert.Equal([3L, 24], embeds.shape);
        Assert.True(embeds.isfinite().all().item<bool>());
    }

    [Fact]
    public void PreprocessingNormalisesWithClipStatistics()
    {
        // A constant frame stays constant through resize and crop; each channel is then (x - mean) / std.
        var frames = full(1, 3, 48, 64, 0.5f);
        var pixels = ClipImagePreprocessor.Preprocess(frames, 32);
        Assert.Equal([1L, 3, 32, 32], pixels.shape);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal((0.75f - Mean[c]) / Std[c], pixels[0, c].mean().item<float>(), 4);
            Assert.True(pixels[0, c].std().item<float>() < 1e-4);
        }
    }

    [Fact]
    public void PreprocessingCropsTheCentre()
    {
        // Width 48, height 32 at size 32: no resize, columns 8..39 kept.
        var columns = arange(48, dtype: float32).div(47).mul(2).sub(1).view(1, 1, 1, 48).expand(1, 3, 32, 48);
        var pixels = ClipImagePreprocessor.Preprocess(columns.contiguous(), 32);
        float first = 8 / 47f, last = 39 / 47f;
        Assert.Equal((first - Mean[0]) / Std[0], pixels[0, 0, 5, 0].item<float>(), 4);
        Assert.Equal((last - Mean[2]) / Std[2], pixels[0, 2, 5, 31].item<float>(), 4);
    }

    [Fact]
    public void ContrastiveLossOfOrthogonalPairs()
    {
        using var _ = no_grad();
        var model = Tiny();
        var e = eye(2, 24) * 3;
        // Logits are s·I with s = exp(logit_scale); each cross-entropy is log(1 + e^−s).
        double s = Math.Exp(2.6592);
        Assert.Equal(Math.Log(1 + Math.Exp(-s)), model.ContrastiveLoss(e, e).item<float>(), 6);
        Assert.True(model.ContrastiveLoss(e, e.flip(0)).item<float>() > 10);
    }

    [Fact]
    public void InitialisationFollowsTransformers()
    {
        manual_seed(0);
        var state = new ClipModel(new ClipConfig(
            new ClipTextConfig(2048, 77, 256, 1024, 4, 4, "quick_gelu", 2),
            new ClipVisionConfig(64, 8, 256, 1024, 6, 4, "quick_gelu"),
            ProjectionDim: 256)).state_dict();
        void AssertStd(double expected, string key) => Assert.InRange(state[key].std().item<float>() / expected, 0.97, 1.03);
        AssertStd(0.02, "text_model.embeddings.token_embedding.weight");
        // q/k/v: width^-1/2 · (2 · layers)^-1/2; out: width^-1/2; fc1: (2 · width)^-1/2.
        AssertStd(Math.Pow(256, -0.5) * Math.Pow(8, -0.5), "text_model.encoder.layers.0.self_attn.q_proj.weight");
        AssertStd(Math.Pow(256, -0.5) * Math.Pow(12, -0.5), "vision_model.encoder.layers.5.self_attn.v_proj.weight");
        AssertStd(Math.Pow(256, -0.5), "vision_model.encoder.layers.0.self_attn.out_proj.weight");
        AssertStd(Math.Pow(512, -0.5), "text_model.encoder.layers.3.mlp.fc1.weight");
        Assert.Equal(0, state["text_model.encoder.layers.0.mlp.fc2.bias"].abs().max().item<float>());
        AssertStd(Math.Pow(256, -0.5), "visual_projection.weight");
    }

    [Fact]
    public void KeysFollowTransformersClipModel()
    {
        var keys = Tiny().state_dict().Keys.ToHashSet();
        Assert.Contains("text_model.embeddings.token_embedding.weight", keys);
        Assert.Contains("text_model.encoder.layers.1.self_attn.out_proj.bias", keys);
        Assert.Contains("text_model.final_layer_norm.weight", keys);
        Assert.Contains("vision_model.embeddings.class_embedding", keys);
        Assert.Contains("vision_model.embeddings.patch_embedding.weight", keys);
        Assert.Contains("vision_model.pre_layrnorm.bias", keys);
        Assert.Contains("vision_model.post_layernorm.weight", keys);
        Assert.Contains("text_projection.weight", keys);
        Assert.Contains("visual_projection.weight", keys);
        Assert.Contains("logit_scale", keys);
        Assert.DoesNotContain("text_projection.bias", keys);
        Assert.DoesNotContain("vision_model.embeddings.patch_embedding.bias", keys);
    }
}
