using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Nn;

/// <summary>diffusers' GELU module: a linear projection <c>proj</c> followed by exact GELU.</summary>
public sealed class Gelu : Module<Tensor, Tensor>
{
    readonly Linear proj;

    public Gelu(int dimIn, int dimOut) : base(nameof(Gelu))
    {
        proj = Linear(dimIn, dimOut);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => functional.gelu(proj.forward(x));
}
