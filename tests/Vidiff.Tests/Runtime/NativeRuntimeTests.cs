using System.Diagnostics;
using TorchSharp;
using Vidiff.Runtime;

namespace Vidiff.Tests.Runtime;

public class NativeRuntimeTests
{
    [Fact]
    public void TensorOperationRunsInTestProcess()
    {
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = a.matmul(a.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, b.data<float>().ToArray());
        Assert.NotNull(NativeRuntime.ShimPath);
    }

    [Fact]
    public void WeakensOnlyVersionsTheSystemLacks()
    {
        var shim = Path.Combine(Path.GetDirectoryName(typeof(torch).Assembly.Location)!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(shim)) shim = NativeRuntime.ShimPath!;
        var bytes = File.ReadAllBytes(shim);
        var before = ElfVersionNeeds.Read(bytes);
        Assert.Contains(before, r => r.Version == "GLIBCXX_3.4.32" && !r.Weak);

        Assert.Equal(1, ElfVersionNeeds.MarkWeak(bytes, r => r.Version == "GLIBCXX_3.4.32"));
        var after = ElfVersionNeeds.Read(bytes);
        Assert.Equal(before.Count, after.Count);
        Assert.All(after, r => Assert.Equal(r.Version == "GLIBCXX_3.4.32" || before.Single(b => b.FlagsOffset == r.FlagsOffset).Weak, r.Weak));

        // The patched copy is used exactly when the system libstdc++ lacks a version the shim needs.
        var system = File.ReadAllText("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", System.Text.Encoding.Latin1);
        Assert.Equal(!system.Contains("GLIBCXX_3.4.32\0"), NativeRuntime.WeakenedVersions.Contains("GLIBCXX_3.4.32"));
    }

    [Fact]
    public void TensorOperationRunsInBuiltCommand()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "vidiff");
        var psi = new ProcessStartInfo(exe, "info --check") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"vidiff info --check exited {p.ExitCode}: {stdout}{stderr}");
        Assert.Contains("tensor check: ok", stdout);
        // What --device takes: the CPU first, then every GPU TorchSharp sees (none with the CPU backend CI builds).
        Assert.Contains($"devices: {string.Join(", ", DeviceChoice.Names())} (libtorch backend: {DeviceChoice.Backend})", stdout);
        Assert.StartsWith("cpu", string.Join(", ", DeviceChoice.Names()));
    }
}
