using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Vidiff.Nn;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Depth;

/// <summary>
/// BiT ResNet (Kolesnikov et al. 2020) as DPT-Hybrid's convolutional stem: a 7×7 stride-2 convolution and a 3×3
/// stride-2 max pool (1/4 resolution), then bottleneck stages, each after the first halving the resolution. Returns
/// the feature maps at <see cref="BitConfig.OutIndices"/>. Keys follow transformers' BitBackbone (<c>bit.embedder.*</c>,
/// <c>bit.encoder.stages.i.layers.j.*</c>).
/// </summary>
sealed class BitBackbone : nn.Module
{
    readonly BitConfig config;
    readonly WeightStandardizedConv2d stem;
    readonly GroupNorm stemNorm;
    readonly ModuleList<BitBottleneckLayer>[] stages;

    public BitBackbone(BitConfig c) : base(nameof(BitBackbone))
    {
        config = c;
        stem = new WeightStandardizedConv2d(3, c.StemChannels, 7, 2, c.SamePadding);
        stemNorm = Norms.Group(c.Groups, c.StemChannels);
        stages = new ModuleList<BitBottleneckLayer>[c.Depths.Length];
        for (int s = 0; s < stages.Length; s++)
        {
            int input = s == 0 ? c.StemChannels : c.StageChannels[s - 1], output = c.StageChannels[s], stride = s == 0 ? 1 : 2;
            stages[s] = new ModuleList<BitBottleneckLayer>(Enumerable.Range(0, c.Depths[s]).Select(j => j == 0
                ? new BitBottleneckLayer(c, input, output, stride, first: true)
                : new BitBottleneckLayer(c, output, output, 1, first: false)).ToArray());
        }
        register_module("bit", new Scope(
            ("embedder", new Scope(("convolution", stem), ("norm", stemNorm))),
            ("encoder", new Scope(("stages", new ModuleList<Scope>(stages.Select(layers => new Scope(("layers", layers))).ToArray()))))));
    }

    // Children are registered by hand under their Hugging Face names; TorchSharp's field reflection would add them twice.
    protected override void RegisterComponents() { }

    public Tensor[] Forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var x = stem.forward(pixels);
        // Without "SAME", BiT pads the stem output by one zero pixel before its GroupNorm (the pad joins the statistics).
        if (!config.SamePadding) x = F.pad(x, [1, 1, 1, 1]);
        x = F.relu(stemNorm.forward(x));
        if (config.PoolSamePadding) x = WeightStandardizedConv2d.PadSame(x, 3, 2);
        x = F.max_pool2d(x, [3, 3], [2, 2]);
        var maps = new List<Tensor> { x };
        for (int s = 0; s < config.OutIndices.Max(); s++)
        {
            foreach (var layer in stages[s]) x = layer.forward(x);
            maps.Add(x);
        }
        return config.OutIndices.Select(i => maps[i].MoveToOuterDisposeScope()).ToArray();
    }
}
