using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Runtime;

/// <summary>
/// Settles <see cref="Precision.Auto"/> for a device by measuring, as `vidiff info` does: a half type where the device
/// multiplies it at least <see cref="MinSpeedup"/> times as fast as fp32, fp32 elsewhere. bf16 is tried first (fp32's
/// range, so no overflow where fp16 could), fp16 next, on CUDA only: GPUs before bf16 tensor cores (Volta, Turing)
/// have fp16 ones. CPUs with bf16 matrix units (AMX) run bf16 about 5× faster; CPUs without them emulate it and can be
/// slower than fp32, and there a half type would cost accuracy for nothing.
/// </summary>
public static class PrecisionChoice
{
    /// <summary>Far from both cases (about 5× with AMX, about 1× or less without), so timing noise cannot flip it.</summary>
    public const double MinSpeedup = 1.5;

    /// <summary>The dtype the networks run in on <paramref name="device"/>, and why, in words for the summary and the
    /// settings file. Auto measures three products of each dtype: 256² on the CPU (a few milliseconds where bf16 is
    /// fast, about 0.3 s where it is emulated), 1024² on a GPU (smaller ones time the launch, not the product).</summary>
    public static (ScalarType Dtype, string Reason) Choose(Precision asked, Device device)
    {
        bool cpu = device.type == DeviceType.CPU;
        if (asked == Precision.Fp16 && cpu)
            throw new ArgumentException("--dtype fp16 runs on CUDA devices only; on the CPU give bf16 or fp32 (or auto).");
        if (asked != Precision.Auto) return (Dtype(asked), "asked");
        if (cpu && NativeRuntime.OneDnnDisabledReason is not null) return (ScalarType.Float32, "auto: oneDNN is off on this CPU, so bf16 is slow here");
        int n = cpu ? 256 : 1024;
        double fp32 = MatmulPeak.Measure(ScalarType.Float32, n, repeats: 2, device);
        var slow = new List<(ScalarType Half, double Speedup)>();
        foreach (var half in cpu ? [ScalarType.BFloat16] : new[] { ScalarType.BFloat16, ScalarType.Float16 })
        {
            double speedup = MatmulPeak.Measure(half, n, repeats: 2, device) / fp32;
            if (speedup >= MinSpeedup) return (half, $"auto: {Name(half)} matrix products run {speedup:0.0#}× as fast as fp32 here");
            slow.Add((half, speedup));
        }
        return (ScalarType.Float32, $"auto: {string.Join(" and ", slow.Select(s => Name(s.Half)))} matrix products run only " +
            $"{string.Join(" and ", slow.Select(s => $"{s.Speedup:0.0#}×"))} as fast as fp32 here");
    }

    public static ScalarType Dtype(Precision precision) => precision switch
    {
        Precision.Bf16 => ScalarType.BFloat16,
        Precision.Fp16 => ScalarType.Float16,
        Precision.Fp32 => ScalarType.Float32,
        _ => throw new ArgumentException($"{precision} is settled by measuring: call Choose", nameof(precision)),
    };

    /// <summary>"bf16", "fp16", "fp32": as `--dtype` spells them.</summary>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "fp16",
        ScalarType.Float32 => "fp32",
        _ => dtype.ToString(),
    };
}
