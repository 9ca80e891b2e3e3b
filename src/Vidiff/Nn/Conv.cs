using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Nn;

/// <summary>
/// torch.nn.Conv1d, Conv2d or ConvTranspose2d (keys <c>weight</c>, <c>bias</c>; initialised exactly as PyTorch's), run
/// through <see cref="Apply"/>: where this CPU's oneDNN computes convolutions with a partial channel block wrongly, the
/// channels are zero-padded to whole blocks, which oneDNN computes right and fast (<see cref="Runtime.OneDnnCheck"/>).
/// </summary>
public sealed class Conv : nn.Module<Tensor, Tensor>
{
    /// <summary>oneDNN's channel block with AVX-512 (16 floats); a multiple of AVX2's 8.</summary>
    const long Block = 16;

    readonly Parameter weight;
    readonly Parameter? bias;
    readonly long stride, padding;
    readonly bool transposed;

    /// <summary>Set at start-up where whole channel blocks are needed (<see cref="Runtime.OneDnnCheck"/>).</summary>
    public static bool PadsChannelBlocks { get; internal set; }

    /// <param name="dimensions">1 (over frames) or 2.</param>
    /// <param name="transposed">ConvTranspose2d (weight [in, out, k, k]).</param>
    public Conv(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0, bool bias = true,
        int dimensions = 2, bool transposed = false) : base(nameof(Conv))
    {
        // PyTorch's initialisation, drawn by TorchSharp's own module so that seeded runs draw the same numbers.
        using Convolution init = (dimensions, transposed) switch
        {
            (1, false) => nn.Conv1d(inChannels, outChannels, kernel, stride, padding, bias: bias),
            (2, false) => nn.Conv2d(inChannels, outChannels, kernel, stride, padding, bias: bias),
            (2, true) => nn.ConvTranspose2d(inChannels, outChannels, kernel, stride, padding, bias: bias),
            _ => throw new ArgumentException($"no {dimensions}D{(transposed ? " transposed" : "")} convolution", nameof(dimensions)),
        };
        weight = new Parameter(init.weight!.detach().clone());
        if (bias) this.bias = new Parameter(init.bias!.detach().clone());
        (this.stride, this.padding, this.transposed) = (stride, padding, transposed);
        RegisterComponents();
    }

    // Fields named as TorchSharp's modules name them: registration and Module.to find parameters by field name.
    public Parameter Weight => weight;

    public Parameter? Bias => bias;

    /// <summary>Zeroes weight and bias, so the convolution adds nothing until trained: a new path into a network (the
    /// paper's temporal layers, a structure path) then starts as exactly the network it joins.</summary>
    public Conv ZeroInitialised()
    {
        using (no_grad())
        {
            weight.zero_();
            bias?.zero_();
        }
        return this;
    }

    public override Tensor forward(Tensor x) => Apply(x, weight, bias, stride, padding, transposed);

    /// <summary>
    /// The convolution of <paramref name="x"/> ([N, C, L] or [N, C, H, W]) by <paramref name="w"/>; with
    /// <see cref="PadsChannelBlocks"/>, input and output channels are padded with zeros to whole blocks and the
    /// output cut back, which gives the same values (the padded channels add zero terms and are dropped).
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor w, Tensor? b, long stride, long padding, bool transposed = false)
    {
        long inChannels = w.shape[transposed ? 0 : 1], outChannels = w.shape[transposed ? 1 : 0];
        long padIn = Whole(inChannels) - inChannels, padOut = Whole(outChannels) - outChannels;
        if (!PadsChannelBlocks || x.device_type != DeviceType.CPU || padIn == 0 && padOut == 0) return Raw(x, w, b, stride, padding, transposed);

        using var scope = NewDisposeScope();
        var spatial = new long[2 * ((int)w.dim() - 2)];
        if (padIn > 0) x = F.pad(x, [.. spatial, 0, padIn]);
        // Weight dims from the last: kernel, then [in, out] (transposed) or [out, in].
        w = F.pad(w, transposed ? [.. spatial, 0, padOut, 0, padIn] : [.. spatial, 0, padIn, 0, padOut]);
        if (b is not null && padOut > 0) b = F.pad(b, [0, padOut]);
        var y = Raw(x, w, b, stride, padding, transposed);
        return (padOut > 0 ? y.narrow(1, 0, outChannels) : y).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Lays every 2D convolution weight of <paramref name="network"/> out channels-last (NHWC), for inference. oneDNN
    /// then computes each convolution in that layout and returns channels-last features, which the norms, activations
    /// and the attention's token view read as they are: the SD 1.5-shaped UNet's pass takes 6.8 s instead of 9.8 s
    /// (docs/benchmarks.md, "Against ONNX Runtime"). Values and checkpoints are unchanged, only strides differ. Not for
    /// training: TorchSharp's optimizers cannot save the state of a channels-last parameter.
    /// </summary>
    public static void UseChannelsLast(nn.Module network)
    {
        using var _ = no_grad();
        foreach (var module in network.named_modules().Select(m => m.module).Prepend(network)) // TorchSharp lists no root
        {
            // A 1×1 kernel or one input channel is laid out alike either way.
            if (module is not Conv { transposed: false } conv || conv.weight.dim() != 4 || conv.weight.shape[1] == 1
                || conv.weight.shape[2] * conv.weight.shape[3] == 1)
                continue;
            using var nhwc = conv.weight.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            conv.weight.set_(nhwc);
        }
    }

    /// <summary>In inference, a channels-last 3×3 weight (stride 1, padding 1) of a million values or more on 8×8
    /// pixels or fewer: there oneDNN's reorder of the weight at each call costs more than the arithmetic (1280 → 1280
    /// channels at 8×8: 63 ms, against 20 ms as one matrix product; the SD 1.5-shaped UNet's pass 1.18× → 1.12× ORT's
    /// time). Smaller weights reorder in no time, and there the nine windows' extra ops would cost more than they save.
    /// oneDNN's reorder is the CPU's: a GPU's convolutions are left to cuDNN.</summary>
    internal static bool IsWindowProduct(Tensor x, Tensor w, long stride, long padding) => stride == 1 && padding == 1 && x.dim() == 4
        && x.shape[2] * x.shape[3] <= 64 && w.shape[2] == 3 && w.shape[3] == 3 && w.numel() >= 1 << 20 && w.stride(1) == 1 && !is_grad_enabled()
        && x.device_type == DeviceType.CPU;

    /// <summary>A 3×3 convolution (stride 1, padding 1) as one matrix product: the nine shifted windows of each pixel,
    /// [N·H·W, 9·C], by the channels-last weight read in place as [9·C, out]. The output is channels-last.</summary>
    static Tensor WindowProduct(Tensor x, Tensor w, Tensor? b)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], width = x.shape[3], o = w.shape[0];
        var padded = F.pad(x.permute(0, 2, 3, 1), [0, 0, 1, 1, 1, 1]);
        var windows = cat([.. from dy in Enumerable.Range(0, 3) from dx in Enumerable.Range(0, 3) select padded.narrow(1, dy, h).narrow(2, dx, width)], 3);
        var kernel = w.permute(0, 2, 3, 1).reshape(o, 9 * c).t();
        var rows = windows.reshape(n * h * width, 9 * c);
        var y = b is null ? rows.matmul(kernel) : addmm(b, rows, kernel, 1, 1);
        return y.view(n, h, width, o).permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    static long Whole(long channels) => (channels + Block - 1) / Block * Block;

    static Tensor Raw(Tensor x, Tensor w, Tensor? b, long stride, long padding, bool transposed) => (w.dim(), transposed) switch
    {
        (4, false) when IsWindowProduct(x, w, stride, padding) => WindowProduct(x, w, b),
        (3, false) => F.conv1d(x, w, b, stride, padding),
        (4, false) => F.conv2d(x, w, b, [stride, stride], [padding, padding]),
        (4, true) => F.conv_transpose2d(x, w, b, [stride, stride], [padding, padding]),
        _ => throw new ArgumentException($"no convolution with a {w.dim()}-dimensional weight", nameof(w)),
    };
}
