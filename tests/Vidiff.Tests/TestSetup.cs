using System.Runtime.CompilerServices;

// One test at a time: TorchSharp's default device (switched to "meta" while EmptyNetwork builds a network) and its
// random generator (which fixed-seed tests reset) are process-wide, so a test on another thread would see the other's
// state. TorchSharp's operators already use both cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Vidiff.Tests;

static class TestSetup
{
    // Tests may touch TorchSharp before any Vidiff type; bind the native shim first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => Vidiff.Runtime.NativeRuntime.EnsureLoaded();
}
