using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Vidiff.Nn;

namespace Vidiff.Depth;

/// <summary>
/// DPT-Hybrid's tokens: the BiT feature map at 1/16 resolution projected 1×1 to the ViT width (each feature pixel is
/// one "patch"), the [CLS] token and learned positions (resized bilinearly as DPT does). The two earlier BiT maps go to
/// the neck untouched. Keys follow transformers' DPTViTHybridEmbeddings.
/// </summary>
sealed class VitHybridEmbeddings : nn.Module
{
    readonly BitBackbone backbone;
    readonly Conv projection;
    readonly Parameter cls_token, position_embeddings;
    readonly int patchSize;

    public VitHybridEmbeddings(DptConfig c) : base(nameof(VitHybridEmbeddings))
    {
        var bit = c.Bit!;
        int grid = c.ImageSize / c.PatchSize;
        backbone = new BitBackbone(bit);
        projection = new Conv(bit.Channels(bit.OutIndices[2]), c.HiddenSize, 1);
        cls_token = new Parameter(randn(1, 1, c.HiddenSize) * 0.02);
        position_embeddings = new Parameter(randn(1, grid * grid + 1, c.HiddenSize) * 0.02);
        patchSize = c.PatchSize;
        RegisterComponents();
    }

    /// <summary>Pixels [N,3,h,w] → tokens [N, 1 + (h/16)(w/16), D] and the two early BiT maps for the neck.</summary>
    public (Tensor Tokens, Tensor[] Early) Forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        // Preprocessing stays float32 for precision; the backbone runs in its weights' dtype (bf16).
        var maps = backbone.Forward(pixels.to(position_embeddings.dtype));
        var patches = projection.forward(maps[2]);
        long gh = patches.shape[2], gw = patches.shape[3];
        if (gh != pixels.shape[2] / patchSize || gw != pixels.shape[3] / patchSize)
            throw new InvalidOperationException($"The BiT backbone gave a {gh}×{gw} token grid for {pixels.shape[2]}×{pixels.shape[3]} pixels, expected "
                + $"{pixels.shape[2] / patchSize}×{pixels.shape[3] / patchSize} (patch size {patchSize}): its padding settings do not fit DPT-Hybrid.");
        var tokens = cat([cls_token.expand(pixels.shape[0], -1, -1), patches.flatten(2).transpose(1, 2)], 1) + VitEmbeddings.DptPositions(position_embeddings, gh, gw);
        return (tokens.MoveToOuterDisposeScope(), [maps[0].MoveToOuterDisposeScope(), maps[1].MoveToOuterDisposeScope()]);
    }
}
