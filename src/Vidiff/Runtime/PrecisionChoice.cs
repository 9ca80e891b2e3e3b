using static TorchSharp.torch;

namespace Vidiff.Runtime;

/// <summary>
/// Settles <see cref="Precision.Auto"/> by measuring, as `vidiff info` does: bf16 where this CPU multiplies it at least
/// <see cref="MinSpeedup"/> times as fast as fp32, fp32 elsewhere. CPUs with bf16 matrix units (AMX) run it about 5×
/// faster; CPUs without them emulate it and can be slower than fp32, and there bf16 would cost accuracy for nothing.
/// </summary>
public static class PrecisionChoice
{
    /// <summary>Far from both cases (about 5× with AMX, about 1× or less without), so timing noise cannot flip it.</summary>
    public const double MinSpeedup = 1.5;

    /// <summary>Whether the networks run in bf16, and why, in words for the summary and the settings file. Auto measures
    /// 256² products, three of each dtype: a few milliseconds where bf16 is fast, about 0.3 s where it is emulated (a
    /// 1024² product, as `vidiff info` measures, takes seconds there).</summary>
    public static (bool Bf16, string Reason) Choose(Precision asked)
    {
        if (asked != Precision.Auto) return (asked == Precision.Bf16, "asked");
        if (NativeRuntime.OneDnnDisabledReason is not null) return (false, "auto: oneDNN is off on this CPU, so bf16 is slow here");
        double speedup = MatmulPeak.Measure(ScalarType.BFloat16, n: 256, repeats: 2) / MatmulPeak.Measure(ScalarType.Float32, n: 256, repeats: 2);
        return speedup >= MinSpeedup
            ? (true, $"auto: bf16 matrix products run {speedup:0.0#}× as fast as fp32 here")
            : (false, $"auto: bf16 matrix products run only {speedup:0.0#}× as fast as fp32 here");
    }
}
