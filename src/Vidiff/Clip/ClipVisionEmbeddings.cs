using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

using Vidiff.Nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPVisionEmbeddings: a class token, non-overlapping patches (bias-free conv), learned positions.</summary>
public sealed class ClipVisionEmbeddings : Module<Tensor, Tensor>
{
    readonly Parameter class_embedding;
    readonly Conv patch_embedding;
    readonly Embedding position_embedding;
    readonly int imageSize;

    public ClipVisionEmbeddings(ClipVisionConfig config) : base(nameof(ClipVisionEmbeddings))
    {
        imageSize = config.ImageSize;
        class_embedding = Parameter(randn(config.HiddenSize) * Math.Pow(config.HiddenSize, -0.5));
        patch_embedding = new Conv(3, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: false);
        position_embedding = Embedding(config.NumPositions, config.HiddenSize);
        using (no_grad())
        {
            init.normal_(patch_embedding.Weight, 0, 0.02);
            init.normal_(position_embedding.weight!, 0, 0.02);
        }
        RegisterComponents();
    }

    /// <param name="pixels">[B, 3, S, S] CLIP-normalised pixels (see <see cref="ClipImagePreprocessor"/>).</param>
    public override Tensor forward(Tensor pixels)
    {
        if (pixels.shape[2] != imageSize || pixels.shape[3] != imageSize)
            throw new ArgumentException($"Image of {pixels.shape[2]}×{pixels.shape[3]} pixels given; the vision tower expects {imageSize}×{imageSize}.", nameof(pixels));
        long b = pixels.shape[0];
        // Preprocessing stays float32 for precision; the tower runs in its weights' dtype (bf16 training).
        var patches = patch_embedding.forward(pixels.to(patch_embedding.Weight.dtype)).flatten(2).transpose(1, 2);
        var cls = class_embedding.expand(b, 1, -1);
        return cat([cls, patches], 1) + position_embedding.weight!.unsqueeze(0);
    }
}
