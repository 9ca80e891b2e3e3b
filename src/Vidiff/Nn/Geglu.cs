using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>Gated GELU: one projection to twice the width, half of it gating the other half.</summary>
public sealed class Geglu : Module<Tensor, Tensor>
{
    readonly Linear proj;

    public Geglu(int dim, int inner) : base(nameof(Geglu))
    {
        proj = Linear(dim, 2 * inner);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var parts = proj.call(x).chunk(2, -1);
        return parts[0] * functional.gelu(parts[1]);
    }
}
