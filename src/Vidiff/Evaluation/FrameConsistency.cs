using Vidiff.Clip;
using static TorchSharp.torch;

namespace Vidiff.Evaluation;

/// <summary>Paper §8: the mean cosine similarity of the CLIP image embeddings of consecutive output frames.</summary>
public static class FrameConsistency
{
    /// <param name="frames">[F, 3, H, W] in [−1, 1], F ≥ 2.</param>
    public static double Measure(ClipModel clip, Tensor frames)
    {
        if (frames.shape[0] < 2) throw new ArgumentException($"Frame consistency needs at least 2 frames, got {frames.shape[0]}.", nameof(frames));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var e = ClipModel.Normalize(clip.EncodeImage(frames).to(float64));
        return (e[..^1] * e[1..]).sum(-1).mean().item<double>();
    }
}
