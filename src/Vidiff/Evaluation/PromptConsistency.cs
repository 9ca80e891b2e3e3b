using Vidiff.Clip;
using static TorchSharp.torch;

namespace Vidiff.Evaluation;

/// <summary>Paper §8: the mean cosine similarity of the prompt's CLIP text embedding and each output frame's image embedding.</summary>
public static class PromptConsistency
{
    /// <param name="frames">[F, 3, H, W] in [−1, 1].</param>
    public static double Measure(ClipModel clip, ClipTokenizer tokenizer, string prompt, Tensor frames)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(tokenizer.Encode(prompt, clip.Config.Text.MaxPositionEmbeddings).Select(id => (long)id).ToArray()).unsqueeze(0);
        var text = ClipModel.Normalize(clip.EncodeText(ids).to(float64));
        var images = ClipModel.Normalize(clip.EncodeImage(frames).to(float64));
        return matmul(images, text.t()).mean().item<double>();
    }
}
