using static TorchSharp.torch;

namespace Vidiff.Nn;

/// <summary>
/// Cross-frame attention, the training-free consistency of Text2Video-Zero, Pix2Video and TokenFlow: the spatial
/// self-attention of every frame also reads the keys and values of its video's anchor frames, so frames that an image
/// model would render each on its own share one appearance. A frame keeps its own keys beside the anchors' (rather
/// than Text2Video-Zero's anchor keys alone) so that it still follows its own structure; an anchor reading itself twice
/// attends as it did alone, since doubling every key leaves the softmax unchanged.
/// </summary>
/// <param name="Frames">F, frames per video of the batch [B·F, T, D]; also in per-frame mode, whose temporal layers see 1.</param>
/// <param name="Anchors">The anchor frames of every video, as indices in [0, F).</param>
public sealed record CrossFrame(int Frames, int[] Anchors)
{
    /// <summary>Each frame's keys (or values) [B·F, T, D] followed by those of its video's anchors: [B·F, (1 + A)·T, D].</summary>
    public Tensor WithAnchors(Tensor keys)
    {
        using var scope = NewDisposeScope();
        long n = keys.shape[0], t = keys.shape[1], d = keys.shape[2], b = n / Frames;
        using var index = tensor(Anchors.Select(a => (long)a).ToArray());
        var anchors = keys.reshape(b, Frames, t, d).index_select(1, index).reshape(b, 1, Anchors.Length * t, d).expand(b, Frames, -1, -1);
        return cat([keys, anchors.reshape(n, -1, d)], 1).MoveToOuterDisposeScope();
    }
}
