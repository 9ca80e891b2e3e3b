using static TorchSharp.torch;

namespace Vidiff.Runtime;

/// <summary>Intra-op thread count for libtorch: every core by default, VIDIFF_THREADS to override.</summary>
public static class Threads
{
    public static int Configure()
    {
        var requested = Environment.GetEnvironmentVariable("VIDIFF_THREADS");
        int n = int.TryParse(requested, out var v) && v > 0 ? v : Environment.ProcessorCount;
        set_num_threads(n);
        return get_num_threads();
    }
}
