using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Runtime;

/// <summary>The machine's achievable matrix-multiply throughput, the yardstick that benchmarks compare against.</summary>
public static class MatmulPeak
{
    /// <summary>Measures GFLOP/s of an n×n×n matmul in <paramref name="dtype"/> on <paramref name="device"/> (the CPU
    /// if null), best of a few repetitions.</summary>
    public static double Measure(ScalarType dtype, int n = 1024, int repeats = 5, Device? device = null)
    {
        device ??= CPU;
        using var scope = NewDisposeScope();
        var a = randn(n, n).to(dtype, device);
        var b = randn(n, n).to(dtype, device);
        a.matmul(b).Dispose(); // warm-up: first call pays for kernel selection
        DeviceChoice.Synchronize(device);
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            DeviceChoice.Synchronize(device);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}
