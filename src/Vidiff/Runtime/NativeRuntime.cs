using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using TorchSharp;

namespace Vidiff.Runtime;

/// <summary>
/// Makes TorchSharp's native shim load on any Linux. TorchSharp 0.107's libLibTorchSharp.so requires
/// GLIBCXX_3.4.32 (GCC 13) for one symbol; where the system libstdc++ lacks a version the shim asks for
/// (Debian 12 stops at 3.4.30), a copy of the shim with those requirements marked weak is written to a cache
/// and bound to TorchSharp's imports. Systems whose libstdc++ has every version are left untouched.
/// Then checks libtorch's oneDNN convolutions and works around them where they are wrong (<see cref="OneDnnCheck"/>).
/// Nothing here is the CPU package's own: TorchSharp's CUDA packages (`-p:TorchBackend=cuda`) carry the same shim, and
/// libtorch's CUDA libraries, beside libtorch.so, are found by its runpath; that build cannot be restored here, so this
/// is read from the packages' layout, not run (README, "GPUs").
/// </summary>
public static class NativeRuntime
{
    const string ShimName = "libLibTorchSharp.so";
    static readonly Lock Gate = new();
    static bool done;

    /// <summary>The shim TorchSharp is bound to (the package's own file, or the patched copy).</summary>
    public static string? ShimPath { get; private set; }

    /// <summary>The libstdc++ version requirements that were marked weak; empty where nothing was patched.</summary>
    public static IReadOnlyList<string> WeakenedVersions { get; private set; } = [];

    /// <summary>Why libtorch's oneDNN was turned off (its convolutions were wrong on this CPU); null where it is in use.</summary>
    public static string? OneDnnDisabledReason { get; private set; }

    /// <summary>Why convolutions pad their channels to whole blocks for oneDNN (<see cref="Nn.Conv.PadsChannelBlocks"/>); null where they need not.</summary>
    public static string? ChannelPaddingReason { get; private set; }

#pragma warning disable CA2255 // A module initializer is the one place that runs before any TorchSharp call in every host.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => EnsureLoaded();

    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (done) return;
            done = true;
            if (OperatingSystem.IsLinux() && !BindShim()) return; // TorchSharp reports the missing package itself.
            try
            {
                QuietInternalWarnings(Path.GetDirectoryName(packageShim));
                // Before any caller's convolution; tens of milliseconds.
                var workaround = OneDnnCheck.WorkAroundWrongConvolutions(Path.GetDirectoryName(packageShim), out bool disabled);
                if (disabled) OneDnnDisabledReason = workaround;
                else ChannelPaddingReason = workaround;
            }
            catch (Exception e) when (e is DllNotFoundException or TypeInitializationException)
            {
                // libtorch did not load; TorchSharp names the cause at the caller's first tensor, as without the check.
            }
        }
    }

    /// <summary>
    /// Raises libtorch's internal log level (c10's FLAGS_caffe2_log_level) from WARNING to ERROR, as TORCH_CPP_LOG_LEVEL
    /// does in Python, unless the user set TORCH_CPP_LOG_LEVEL. Those LOG(WARNING) lines are diagnostics for libtorch's
    /// developers: on CPUs NNPACK does not support, "Could not initialize NNPACK! Reason: Unsupported hardware." is
    /// printed at every convolution that considers it (over a hundred lines for one edit), burying vidiff's own one-line
    /// messages. Warnings meant for users (TORCH_WARN) go another way and are kept.
    /// </summary>
    static unsafe void QuietInternalWarnings(string? libraryFolder)
    {
        if (Environment.GetEnvironmentVariable("TORCH_CPP_LOG_LEVEL") is { Length: > 0 }) return;
        if (TryGetExport(libraryFolder, "libc10.so", "FLAGS_caffe2_log_level", out var level)) *(int*)level = 2; // google::ERROR
    }

    /// <summary>
    /// The address of <paramref name="symbol"/> in one of libtorch's libraries (libc10.so, libtorch_cpu.so), for what
    /// TorchSharp does not bind. TorchSharp has loaded them by now, from <paramref name="libraryFolder"/>; loading one
    /// again by its file name returns the same handle.
    /// </summary>
    internal static bool TryGetExport(string? libraryFolder, string library, string symbol, out IntPtr address)
    {
        address = IntPtr.Zero;
        foreach (var candidate in new[] { libraryFolder is null ? null : Path.Combine(libraryFolder, library), library })
            if (candidate is not null && NativeLibrary.TryLoad(candidate, out var handle) && NativeLibrary.TryGetExport(handle, symbol, out address))
                return true;
        return false;
    }

    /// <summary>The package's own shim, next to libtorch; <see cref="ShimPath"/> may be the patched copy instead.</summary>
    static string? packageShim;

    /// <returns>Whether the shim was found.</returns>
    static bool BindShim()
    {
        ShimPath = packageShim = FindShim();
        if (ShimPath is null) return false;

        var libstdcxx = FindLibStdCxx();
        if (libstdcxx is null) return true;
        var provided = File.ReadAllBytes(libstdcxx);
        bool Missing(ElfVersionNeeds.Requirement r) =>
            r.File.StartsWith("libstdc++", StringComparison.Ordinal) && !Contains(provided, r.Version);

        var original = File.ReadAllBytes(ShimPath);
        var missing = ElfVersionNeeds.Read(original).Where(r => !r.Weak && Missing(r)).ToList();
        if (missing.Count == 0) return true;

        ElfVersionNeeds.MarkWeak(original, Missing);
        var patched = WritePatchedCopy(original);
        // The copy lives outside the package folder, so its $ORIGIN runpath no longer finds libtorch:
        // load libtorch (and through it c10 and torch_cpu) from the package folder first.
        NativeLibrary.Load(Path.Combine(Path.GetDirectoryName(ShimPath)!, "libtorch.so"));
        var handle = NativeLibrary.Load(patched);
        NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, (name, _, _) =>
            name is "LibTorchSharp" or "libLibTorchSharp" or ShimName ? handle : IntPtr.Zero);
        WeakenedVersions = missing.Select(r => r.Version).Distinct().ToList();
        ShimPath = patched;
        return true;
    }

    static string? FindShim()
    {
        var dirs = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string search)
            dirs.AddRange(search.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        foreach (var baseDir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location) })
        {
            if (string.IsNullOrEmpty(baseDir)) continue;
            dirs.Add(Path.Combine(baseDir, "runtimes", "linux-x64", "native"));
            dirs.Add(baseDir);
        }
        return dirs.Select(d => Path.Combine(d, ShimName)).FirstOrDefault(File.Exists);
    }

    static string? FindLibStdCxx()
    {
        try
        {
            var mapped = File.ReadLines("/proc/self/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
                .FirstOrDefault(p => p is not null && Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal));
            if (mapped is not null && File.Exists(mapped)) return mapped;
        }
        catch (IOException) { }
        return new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6" }
            .FirstOrDefault(File.Exists);
    }

    static bool Contains(byte[] haystack, string version) =>
        haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) >= 0;

    static string WritePatchedCopy(byte[] patched)
    {
        var hash = Convert.ToHexString(SHA256.HashData(patched))[..16].ToLowerInvariant();
        foreach (var root in CacheRoots())
        {
            try
            {
                var dir = Path.Combine(root, "vidiff", "native", hash);
                var path = Path.Combine(dir, ShimName);
                if (File.Exists(path) && new FileInfo(path).Length == patched.Length) return path;
                Directory.CreateDirectory(dir);
                var tmp = path + "." + Environment.ProcessId + ".tmp";
                File.WriteAllBytes(tmp, patched);
                File.Move(tmp, path, overwrite: true); // atomic: concurrent processes never see half a library
                return path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        throw new IOException($"could not write the patched {ShimName} to any cache folder ({string.Join(", ", CacheRoots())})");
    }

    static IEnumerable<string> CacheRoots()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) yield return xdg;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home)) yield return Path.Combine(home, ".cache");
        yield return Path.GetTempPath();
    }

    /// <summary>Version of the TorchSharp managed assembly in use.</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";
}
