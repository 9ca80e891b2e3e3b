using System.Globalization;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Runtime;

/// <summary>
/// `--device`: where the networks run. A device that is not there is refused at once, naming the devices TorchSharp
/// sees, rather than falling back to the CPU: an edit meant for a GPU would run there for hours.
/// </summary>
public static class DeviceChoice
{
    public const string Expected = "cpu, cuda or cuda:N";

    /// <summary>The libtorch backend this build references (`dotnet build -p:TorchBackend=cpu|cuda`, Vidiff.csproj).</summary>
    public static string Backend { get; } = typeof(DeviceChoice).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "TorchBackend")?.Value ?? "cpu";

    /// <summary>"cpu", "cuda" (the first GPU) or "cuda:N", checked against the devices there are.</summary>
    public static Device Parse(string text)
    {
        var name = text.Trim().ToLowerInvariant();
        if (name == "cpu") return CPU;
        int index = 0;
        if (name != "cuda" && !(name.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out index)))
            throw new ArgumentException($"--device expects {Expected}, got '{text}'.");
        int count = CudaDevices();
        if (index >= count)
            throw new ArgumentException($"--device {text}: {(count == 0 ? "no CUDA device" : $"no cuda:{index}")} here; TorchSharp sees {string.Join(", ", Names())}" +
                (Backend == "cuda" ? "." : $" (this build uses libtorch for the CPU; a CUDA build is `dotnet build -p:TorchBackend=cuda`, README)."));
        return new Device(DeviceType.CUDA, index);
    }

    /// <summary>"cpu" or "cuda:N", as `--device` takes it.</summary>
    public static string Name(Device device) => device.type == DeviceType.CPU ? "cpu" : $"cuda:{Math.Max(device.index, 0)}";

    /// <summary>The devices TorchSharp sees: "cpu", then "cuda:0", "cuda:1", ….</summary>
    public static IReadOnlyList<string> Names() => ["cpu", .. Enumerable.Range(0, CudaDevices()).Select(i => $"cuda:{i}")];

    /// <summary>0 with the CPU backend, or without a driver or GPU.</summary>
    public static int CudaDevices() => cuda.is_available() ? cuda.device_count() : 0;

    /// <summary>Waits for the device's queued work, so a clock read after it times the work, not its launch.</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
