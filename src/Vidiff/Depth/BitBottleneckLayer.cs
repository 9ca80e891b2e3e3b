using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Vidiff.Nn;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Depth;

/// <summary>
/// BiT's non-pre-activation bottleneck (ResNet v1.5: the stride sits on the 3×3 convolution), DPT-Hybrid's block:
/// 1×1 down to a quarter of the width, 3×3, 1×1 up, each weight-standardised and group-normalised, ReLU after the sum.
/// A stage's first block projects the shortcut. Keys follow transformers' BitBottleneckLayer.
/// </summary>
sealed class BitBottleneckLayer : nn.Module<Tensor, Tensor>
{
    readonly WeightStandardizedConv2d conv1, conv2, conv3;
    readonly GroupNorm norm1, norm2, norm3;
    readonly WeightStandardizedConv2d? shortcutConv;
    readonly GroupNorm? shortcutNorm;

    public BitBottleneckLayer(BitConfig c, int inChannels, int outChannels, int stride, bool first) : base(nameof(BitBottleneckLayer))
    {
        int mid = BitConfig.MakeDivisible(outChannels * 0.25);
        if (first)
        {
            shortcutConv = new WeightStandardizedConv2d(inChannels, outChannels, 1, stride, c.SamePadding);
            shortcutNorm = Norms.Group(c.Groups, outChannels);
            register_module("downsample", new Scope(("conv", shortcutConv), ("norm", shortcutNorm)));
        }
        conv1 = new WeightStandardizedConv2d(inChannels, mid, 1, 1, c.SamePadding);
        norm1 = Norms.Group(c.Groups, mid);
        conv2 = new WeightStandardizedConv2d(mid, mid, 3, stride, c.SamePadding);
        norm2 = Norms.Group(c.Groups, mid);
        conv3 = new WeightStandardizedConv2d(mid, outChannels, 1, 1, c.SamePadding);
        norm3 = Norms.Group(c.Groups, outChannels);
        foreach (var (name, m) in new (string, nn.Module)[] { ("conv1", conv1), ("norm1", norm1), ("conv2", conv2), ("norm2", norm2), ("conv3", conv3), ("norm3", norm3) })
            register_module(name, m);
    }

    // Children are registered by hand under their Hugging Face names; TorchSharp's field reflection would add them twice.
    protected override void RegisterComponents() { }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var shortcut = shortcutConv is null ? x : shortcutNorm!.forward(shortcutConv.forward(x));
        var h = F.relu(norm1.forward(conv1.forward(x)));
        h = F.relu(norm2.forward(conv2.forward(h)));
        h = norm3.forward(conv3.forward(h));
        return F.relu(h + shortcut).MoveToOuterDisposeScope();
    }
}
