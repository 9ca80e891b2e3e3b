using System.Runtime.CompilerServices;

namespace Vidiff.Tests;

static class TestSetup
{
    // Tests may touch TorchSharp before any Vidiff type; bind the native shim first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => Vidiff.Runtime.NativeRuntime.EnsureLoaded();
}
