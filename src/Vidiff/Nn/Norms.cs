using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vidiff.Nn;

/// <summary>Normalisation layers initialised as in PyTorch.</summary>
public static class Norms
{
    /// <summary>GroupNorm with weight 1 and bias 0: TorchSharp 0.107's GroupNorm leaves both uninitialised (torch.empty).</summary>
    public static GroupNorm Group(int groups, int channels, double eps = 1e-5)
    {
        var norm = nn.GroupNorm(groups, channels, eps);
        using (no_grad())
        {
            norm.weight.fill_(1);
            norm.bias!.zero_();
        }
        return norm;
    }
}
