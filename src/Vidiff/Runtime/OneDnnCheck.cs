using System.Runtime.InteropServices;
using TorchSharp;
using Vidiff.Nn;
using static TorchSharp.torch;

namespace Vidiff.Runtime;

/// <summary>
/// Checks libtorch's oneDNN convolutions against a plain matrix-product reference, and works around them where they
/// disagree: channels padded to whole blocks, or oneDNN turned off for the process. On some CPUs (seen on a virtualised AMD EPYC, family 26, whose CPUID leaves 4 and 0x8000001D
/// report no caches) the oneDNN 3.7.1 inside libtorch 2.10 computes convolutions whose channel counts leave a partial
/// channel block (16 with AVX-512, 8 with AVX2) wrongly and nondeterministically, often as NaN: a float32 3×3
/// convolution's input gradient when the output channels are not a multiple of the block, its forward pass when the
/// input channels are not, and a bfloat16 forward pass when the output channels are not. The autoencoder's conv_out
/// layers (8 and 3 channels) hit exactly these, so training went to NaN and bfloat16 decoding drifted by 40-50 %.
/// Capping oneDNN's ISA (ONEDNN_MAX_CPU_ISA=AVX2) does not help. The same convolutions with their channels zero-padded
/// to whole blocks are right, so where the check finds the fault it checks the padded form (<see cref="Conv.Apply"/>)
/// and, where that is right, keeps oneDNN and pads. Only where that too is wrong is oneDNN disabled
/// (torch.backends.mkldnn.enabled = False in PyTorch): libtorch's native convolutions (im2col and BLAS) are right but
/// slower (float32 training about 5×), and bfloat16 matrix products and convolutions far slower (their fast path is
/// oneDNN's).
/// </summary>
static class OneDnnCheck
{
    /// <summary>
    /// Runs the check. Returns null where oneDNN's convolutions are right as they are; otherwise what is wrong and what
    /// was done: channels padded (<see cref="Conv.PadsChannelBlocks"/>, <paramref name="disabled"/> false) or oneDNN
    /// disabled (<paramref name="disabled"/> true).
    /// </summary>
    internal static string? WorkAroundWrongConvolutions(string? libraryFolder, out bool disabled)
    {
        disabled = false;
        var fault = FindFault(Plain);
        if (fault is null) return null;
        DisableNnpack(libraryFolder); // libtorch would try it next for float32 batches of 16 and more; the check did not validate it
        Conv.PadsChannelBlocks = true;
        if (FindFault(Padded) is null)
            return $"{fault}; their channels are padded to whole blocks, which oneDNN computes right";
        Conv.PadsChannelBlocks = false;
        disabled = true;
        return DisableOneDnn(libraryFolder)
            ? $"{fault}, even with padded channels; libtorch's native convolutions are used instead"
            : $"{fault}; oneDNN could not be disabled (at::Context::setUserEnabledMkldnn not found), results may be wrong";
    }

    /// <summary>
    /// A handful of tiny convolutions (well under a millisecond each) in the shapes that fail: 3×3, padding 1, with
    /// partial channel blocks. The reference is im2col (unfold) and a matrix product in float64, which involve no
    /// convolution kernel at all: a float64 convolution would not reach oneDNN either, but it asks for NNPACK, which
    /// logs a warning on CPUs it does not support.
    /// </summary>
    static string? FindFault(Func<Tensor, Tensor, Tensor> convolution)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        // (input channels, output channels): partial output blocks (3, 8) and partial input blocks (20, 3).
        foreach (var (ic, oc) in new[] { (16, 3), (32, 8), (20, 16), (3, 32) })
        {
            // Fixed values rather than random ones, so the check leaves the global generator where the caller put it.
            var x = Pattern(2, ic, 8, 8);
            var w = Pattern(oc, ic, 3, 3) * 0.1;
            var g = Pattern(2, oc, 8, 8);
            var (y64, dx64) = Convolve(x, w, g, Unfolded);

            var (y32, dx32) = Convolve(x.to(float32), w.to(float32), g.to(float32), convolution);
            if (!Close(y32, y64, 1e-4)) return Describe("float32 output", ic, oc, y32, y64);
            if (!Close(dx32, dx64, 1e-4)) return Describe("float32 input gradient", ic, oc, dx32, dx64);

            // bfloat16 against float64 on the same rounded values: only the rounding differs (~0.4 %).
            var (x16, w16, g16) = (x.to(bfloat16), w.to(bfloat16), g.to(bfloat16));
            var (y16, dx16) = Convolve(x16, w16, g16, convolution);
            var (y16Ref, dx16Ref) = Convolve(x16.to(float64), w16.to(float64), g16.to(float64), Unfolded);
            if (!Close(y16, y16Ref, 0.05)) return Describe("bfloat16 output", ic, oc, y16, y16Ref);
            if (!Close(dx16, dx16Ref, 0.05)) return Describe("bfloat16 input gradient", ic, oc, dx16, dx16Ref);
        }
        return null;
    }

    static Tensor Pattern(params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return arange(n, dtype: float64).mul(0.7).sin().view(shape);
    }

    /// <summary>The 3×3, padding 1 convolution as libtorch runs it (through oneDNN where enabled).</summary>
    static Tensor Plain(Tensor x, Tensor w) => nn.functional.conv2d(x, w, padding: [1, 1]);

    /// <summary>The same as the networks run it while <see cref="Conv.PadsChannelBlocks"/> is set.</summary>
    static Tensor Padded(Tensor x, Tensor w) => Conv.Apply(x, w, null, 1, 1);

    /// <summary>The same convolution as a matrix product over unfolded patches.</summary>
    static Tensor Unfolded(Tensor x, Tensor w)
    {
        long n = x.shape[0], oc = w.shape[0], h = x.shape[2], width = x.shape[3];
        return matmul(w.reshape(oc, -1), nn.functional.unfold(x, 3, padding: 1)).view(n, oc, h, width);
    }

    static (Tensor y, Tensor dx) Convolve(Tensor x, Tensor w, Tensor g, Func<Tensor, Tensor, Tensor> convolution)
    {
        var leaf = x.detach().requires_grad_(true);
        var y = convolution(leaf, w);
        y.backward([g]);
        return (y.detach(), leaf.grad!);
    }

    static double RelativeError(Tensor a, Tensor reference) =>
        ((a.to(float64) - reference).norm() / reference.norm()).item<double>();

    static bool Close(Tensor a, Tensor reference, double tolerance) => RelativeError(a, reference) < tolerance; // NaN fails

    static string Describe(string what, int ic, int oc, Tensor a, Tensor reference)
    {
        double error = RelativeError(a, reference);
        var how = double.IsNaN(error) ? "NaN" : $"off by {error:P0}";
        return $"oneDNN convolutions with partial channel blocks are wrong on this CPU (the {what} of a 3×3 convolution " +
            $"from {ic} to {oc} channels is {how})";
    }

    /// <summary>at::globalContext().setUserEnabledNNPACK(false).</summary>
    static unsafe bool DisableNnpack(string? libraryFolder)
    {
        if (Context(libraryFolder) is not { } context || !Export(libraryFolder, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setNnpack)) return false;
        ((delegate* unmanaged<IntPtr, byte, void>)setNnpack)(context, 0);
        return true;
    }

    /// <summary>at::globalContext().setUserEnabledMkldnn(false): TorchSharp has no binding for it, libtorch_cpu exports it.</summary>
    static unsafe bool DisableOneDnn(string? libraryFolder)
    {
        if (Context(libraryFolder) is not { } context
            || !Export(libraryFolder, "_ZN2at7Context20setUserEnabledMkldnnEb", out var setEnabled)
            || !Export(libraryFolder, "_ZNK2at7Context17userEnabledMkldnnEv", out var getEnabled))
            return false;
        ((delegate* unmanaged<IntPtr, byte, void>)setEnabled)(context, 0);
        return ((delegate* unmanaged<IntPtr, byte>)getEnabled)(context) == 0;
    }

    /// <summary>at::globalContext(), or null where it cannot be found.</summary>
    static unsafe IntPtr? Context(string? libraryFolder) =>
        Export(libraryFolder, "_ZN2at13globalContextEv", out var globalContext) ? ((delegate* unmanaged<IntPtr>)globalContext)() : null;

    /// <summary>An export of libtorch_cpu; Linux only, as the names are Itanium-mangled.</summary>
    static bool Export(string? libraryFolder, string symbol, out IntPtr address)
    {
        address = IntPtr.Zero;
        return OperatingSystem.IsLinux() && NativeRuntime.TryGetExport(libraryFolder, "libtorch_cpu.so", symbol, out address);
    }
}
