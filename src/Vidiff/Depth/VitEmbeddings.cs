using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

using Vidiff.Nn;

namespace Vidiff.Depth;

/// <summary>
/// Patch embedding, [CLS] token and learned position embeddings. The position grid was learned at one image size;
/// other sizes interpolate it the way each reference does (DPT: bilinear to the new grid; DINOv2: bicubic by the
/// scale factor (grid + 0.1) / old grid), so imported weights give the reference's numbers at any input size.
/// </summary>
sealed class VitEmbeddings : nn.Module<Tensor, Tensor>
{
    readonly Parameter cls_token, position_embeddings;
    readonly Conv projection;
    readonly DptConfig config;

    public VitEmbeddings(DptConfig c) : base(nameof(VitEmbeddings))
    {
        config = c;
        int grid = c.ImageSize / c.PatchSize;
        cls_token = new Parameter(randn(1, 1, c.HiddenSize) * 0.02);
        position_embeddings = new Parameter(randn(1, grid * grid + 1, c.HiddenSize) * 0.02);
        projection = new Conv(3, c.HiddenSize, c.PatchSize, stride: c.PatchSize);
        register_parameter("cls_token", cls_token);
        // DINOv2 checkpoints carry a mask token for masked-image pretraining; depth never masks, but the key must exist.
        if (c.Backbone == DptBackbone.Dinov2) register_parameter("mask_token", new Parameter(zeros(1, c.HiddenSize)));
        register_parameter("position_embeddings", position_embeddings);
        register_module("patch_embeddings", new Scope(("projection", projection)));
    }

    // Children are registered by hand under their Hugging Face names; TorchSharp's field reflection would add them twice.
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        long b = pixels.shape[0];
        // Preprocessing stays float32 for precision; the backbone runs in its weights' dtype (bf16 training).
        var patches = projection.forward(pixels.to(projection.Weight.dtype));
        long gh = patches.shape[2], gw = patches.shape[3];
        var tokens = cat([cls_token.expand(b, -1, -1), patches.flatten(2).transpose(1, 2)], 1);
        return (tokens + PositionEmbeddings(gh, gw, pixels.shape[2] == pixels.shape[3])).MoveToOuterDisposeScope();
    }

    internal Tensor PositionEmbeddings(long gh, long gw, bool squareInput)
    {
        if (config.Backbone != DptBackbone.Dinov2) return DptPositions(position_embeddings, gh, gw);
        long n = position_embeddings.shape[1] - 1;
        if (gh * gw == n && squareInput) return position_embeddings;
        var (cls, grid, old) = Split(position_embeddings);
        grid = F.interpolate(grid, scale_factor: [(gh + 0.1) / old, (gw + 0.1) / old], mode: InterpolationMode.Bicubic, align_corners: false);
        if (grid.shape[2] != gh || grid.shape[3] != gw)
            throw new InvalidOperationException($"Position-embedding interpolation gave {grid.shape[2]}×{grid.shape[3]}, expected {gh}×{gw}.");
        return cat([cls, grid.permute(0, 2, 3, 1).reshape(1, gh * gw, -1)], 1);
    }

    /// <summary>DPT's resize of the learned grid (MiDaS' _resize_pos_embed, also DPT-Hybrid's): bilinear, corners not aligned.</summary>
    internal static Tensor DptPositions(Tensor positions, long gh, long gw)
    {
        var (cls, grid, _) = Split(positions);
        grid = F.interpolate(grid, [gh, gw], mode: InterpolationMode.Bilinear, align_corners: false);
        return cat([cls, grid.permute(0, 2, 3, 1).reshape(1, gh * gw, -1)], 1);
    }

    /// <summary>[1, 1 + n², D] → the [CLS] position, the square grid as [1, D, n, n], and n.</summary>
    static (Tensor Cls, Tensor Grid, long Side) Split(Tensor positions)
    {
        long n = positions.shape[1] - 1, d = positions.shape[2], side = (long)Math.Sqrt(n);
        return (positions[.., ..1], positions[0, 1..].reshape(1, side, side, d).permute(0, 3, 1, 2), side);
    }
}
