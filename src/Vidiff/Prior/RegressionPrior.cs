using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Prior;

/// <summary>
/// The baseline prior: a deterministic MLP from the text embedding to the image embedding, trained by MSE
/// (unCLIP's alternative to the diffusion prior). Keys net.0, net.2, net.4.
/// </summary>
public sealed class RegressionPrior : Module<Tensor, Tensor>, IPrior
{
    readonly Sequential net;

    public RegressionPrior(int embeddingDim, int hiddenDim) : base(nameof(RegressionPrior))
    {
        net = Sequential(
            Linear(embeddingDim, hiddenDim), GELU(),
            Linear(hiddenDim, hiddenDim), GELU(),
            Linear(hiddenDim, embeddingDim));
        RegisterComponents();
    }

    /// <param name="textEmbed">[B, E] projected text embedding.</param>
    /// <returns>[B, E] predicted image embedding.</returns>
    public override Tensor forward(Tensor textEmbed) => net.forward(textEmbed.to(net.parameters().First().dtype)).to(textEmbed.dtype);

    /// <summary>Deterministic: the text hidden states, mask and generator are not used.</summary>
    public Tensor Sample(Tensor textEmbed, Tensor textHidden, Generator? generator = null, Tensor? textMask = null)
    {
        using var _ = no_grad();
        return forward(textEmbed);
    }

    public Tensor Loss(Tensor imageEmbed, Tensor textEmbed) => functional.mse_loss(forward(textEmbed), imageEmbed);
}
