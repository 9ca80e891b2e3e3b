using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

using Vidiff.Nn;

namespace Vidiff.Depth;

/// <summary>
/// One refinement step of the fusion stage: add the (refined) skip feature to the coarser path, refine, upsample,
/// project. DPT upsamples by 2; Depth Anything upsamples to the next feature's size (they differ on odd grids).
/// </summary>
sealed class FusionLayer : nn.Module
{
    readonly Conv projection;
    readonly ResidualConvUnit residual_layer1, residual_layer2;

    public FusionLayer(int channels) : base(nameof(FusionLayer))
    {
        projection = new Conv(channels, channels, 1);
        residual_layer1 = new ResidualConvUnit(channels);
        residual_layer2 = new ResidualConvUnit(channels);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor? skip, long[]? size)
    {
        using var scope = NewDisposeScope();
        if (skip is not null)
        {
            if (!skip.shape.SequenceEqual(x.shape))
                skip = F.interpolate(skip, [x.shape[2], x.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            x = x + residual_layer1.forward(skip);
        }
        x = residual_layer2.forward(x);
        x = size is null
            ? F.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Bilinear, align_corners: true)
            : F.interpolate(x, size, mode: InterpolationMode.Bilinear, align_corners: true);
        return projection.forward(x).MoveToOuterDisposeScope();
    }
}
