using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Depth;

/// <summary>A named level of the Hugging Face key layout (e.g. <c>attention.output</c>) that holds parameters but
/// computes nothing itself; the enclosing module runs the maths, so the checkpoint keys stay 1:1.</summary>
sealed class Scope : nn.Module
{
    public Scope(params (string Name, object Item)[] items) : base(nameof(Scope))
    {
        foreach (var (name, item) in items)
        {
            switch (item)
            {
                case TorchSharp.Modules.Parameter p: register_parameter(name, p); break;
                case nn.Module m: register_module(name, m); break;
                default: throw new ArgumentException($"Scope item '{name}' must be a module or a parameter, got {item.GetType().Name}.");
            }
        }
    }
}
