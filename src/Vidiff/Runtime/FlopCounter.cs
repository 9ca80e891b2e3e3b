using TorchSharp.Modules;
using Vidiff.Nn;
using static TorchSharp.torch;

namespace Vidiff.Runtime;

/// <summary>
/// Counts the multiply-add work of a forward pass (2 FLOPs per multiply-add) by hooking the layers that do almost
/// all of it: convolutions, linear layers and attention (recognised by its to_q/to_v projections, whose outputs give
/// the query and key lengths). Norms and activations are left out, as is customary.
/// </summary>
public sealed class FlopCounter : IDisposable
{
    readonly List<Action> removers = [];
    double queryLength, queryRows;

    public double Flops { get; private set; }

    public FlopCounter(nn.Module model)
    {
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case Conv conv:
                    // Fan-in per output: in channels × kernel (transposed: out channels × kernel per input, counted alike).
                    Hook(conv, (_, output) => Flops += 2.0 * output.numel() * (conv.Weight.numel() / conv.Weight.shape[0]));
                    break;
                case Linear linear:
                    Hook(linear, (_, output) => Flops += 2.0 * output.numel() * linear.in_features);
                    if (name.EndsWith("to_q", StringComparison.Ordinal))
                        Hook(linear, (_, output) => (queryRows, queryLength) = (output.numel() / output.shape[^1] / output.shape[^2], output.shape[^2]));
                    if (name.EndsWith("to_v", StringComparison.Ordinal))
                        // QKᵀ and the weighted sum of values: 2·Lq·Lk·C multiply-adds per sequence.
                        Hook(linear, (_, output) => Flops += 4.0 * queryRows * queryLength * output.shape[^2] * output.shape[^1]);
                    break;
            }
        }
    }

    void Hook(nn.Module<Tensor, Tensor> module, Action<Tensor, Tensor> count) =>
        removers.Add(module.register_forward_hook((_, input, output) => { count(input, output); return output; }).remove);

    public void Dispose()
    {
        foreach (var remove in removers) remove();
    }
}
