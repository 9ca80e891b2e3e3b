namespace Vidiff.Depth;

/// <summary>
/// The BiT ResNet under DPT-Hybrid's ViT (MiDaS DPT-Hybrid: a ResNet-50 stem and its first three stages). Field
/// meanings follow transformers' BitConfig with layer_type "bottleneck", the only block DPT-Hybrid uses.
/// </summary>
/// <param name="StemChannels">Output channels of the 7×7 stride-2 stem convolution (embedding_size).</param>
/// <param name="StageChannels">Output channels of each stage (hidden_sizes × width_factor, rounded as BiT rounds).</param>
/// <param name="Depths">Bottleneck blocks per stage; every stage after the first halves the resolution.</param>
/// <param name="OutIndices">The three feature maps DPT takes (0 = stem, i = stage i): the first two go to the neck as
/// they are, the third becomes the ViT's tokens.</param>
/// <param name="Groups">GroupNorm groups of every normalisation.</param>
/// <param name="SamePadding">TensorFlow "SAME" padding (global_padding "same", DPT-Hybrid's), computed from the input
/// size where a layer is strided; otherwise PyTorch's symmetric padding.</param>
/// <param name="PoolSamePadding">The stem's max pool pads "SAME" too (embedding_dynamic_padding).</param>
public sealed record BitConfig(int StemChannels, int[] StageChannels, int[] Depths, int[] OutIndices, int Groups, bool SamePadding, bool PoolSamePadding)
{
    /// <summary>Resolution divisor of feature map <paramref name="index"/>: the stem and the first stage are at 1/4,
    /// each later stage halves it.</summary>
    public int Stride(int index) => index <= 1 ? 4 : 4 << (index - 1);

    /// <summary>Channels of feature map <paramref name="index"/> (0 = stem).</summary>
    public int Channels(int index) => index == 0 ? StemChannels : StageChannels[index - 1];

    /// <summary>BiT's channel rounding (make_div): to a multiple of 8, never more than 10% below the request.</summary>
    public static int MakeDivisible(double value)
    {
        const int divisor = 8;
        int rounded = Math.Max(divisor, (int)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
