using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

using Vidiff.Nn;

namespace Vidiff.Depth;

/// <summary>Pre-activation residual unit of the fusion stage (DPT's ResidualConvUnit).</summary>
sealed class ResidualConvUnit : nn.Module<Tensor, Tensor>
{
    readonly Conv convolution1, convolution2;

    public ResidualConvUnit(int channels) : base(nameof(ResidualConvUnit))
    {
        convolution1 = new Conv(channels, channels, 3, padding: 1);
        convolution2 = new Conv(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        x + convolution2.forward(F.relu(convolution1.forward(F.relu(x))));
}
