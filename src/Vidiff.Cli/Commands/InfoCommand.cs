using System.CommandLine;
using System.Runtime.InteropServices;
using Spectre.Console;
using TorchSharp;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Cli.Commands;

static class InfoCommand
{
    public static Command Create()
    {
        var check = new Option<bool>("--check") { Description = "Only run a small tensor operation, report whether it gave the right result, and list the devices." };
        var command = new Command("info", "Print versions, the native library in use, the devices TorchSharp sees, threads, and whether bf16 matmul is fast on this CPU.") { check };
        command.SetAction(parse => Run(parse.GetValue(check)));
        return command;
    }

    static int Run(bool checkOnly)
    {
        using (var a = arange(6, dtype: float32).reshape(2, 3))
        using (var b = a.matmul(a.t()))
        {
            bool ok = b.data<float>().ToArray().SequenceEqual([5f, 14f, 14f, 50f]);
            Console.WriteLine($"tensor check: {(ok ? "ok" : "FAILED")}");
            if (!ok) return 1;
        }
        // What --device takes here; a GPU's name and memory are not in TorchSharp's API.
        var devices = $"{string.Join(", ", DeviceChoice.Names())} (libtorch backend: {DeviceChoice.Backend})";
        if (checkOnly)
        {
            Console.WriteLine($"devices: {devices}");
            return 0;
        }

        int threads = Threads.Configure();
        var table = new Table().HideHeaders().AddColumns("", "");
        table.AddRow("Vidiff", typeof(NativeRuntime).Assembly.GetName().Version?.ToString() ?? "?");
        table.AddRow(".NET", RuntimeInformation.FrameworkDescription);
        table.AddRow("OS", RuntimeInformation.OSDescription);
        table.AddRow("TorchSharp", NativeRuntime.TorchSharpVersion);
        table.AddRow("devices", devices);
        table.AddRow("native shim", Markup.Escape(NativeRuntime.ShimPath ?? "(default search)"));
        table.AddRow("libstdc++ fix", NativeRuntime.WeakenedVersions.Count == 0
            ? "not needed (system libstdc++ has every version the shim asks for)"
            : "weakened " + string.Join(", ", NativeRuntime.WeakenedVersions));
        table.AddRow("oneDNN", Markup.Escape(
            NativeRuntime.OneDnnDisabledReason is { } off ? $"off: {off}"
            : NativeRuntime.ChannelPaddingReason is { } padded ? $"on: {padded}"
            : "on (its convolutions checked)"));
        table.AddRow("threads", $"{threads} of {Environment.ProcessorCount} cores");
        double fp32 = MatmulPeak.Measure(ScalarType.Float32);
        double bf16 = MatmulPeak.Measure(ScalarType.BFloat16);
        table.AddRow("matmul fp32", $"{fp32:F0} GFLOP/s");
        bool fast = bf16 >= PrecisionChoice.MinSpeedup * fp32 && NativeRuntime.OneDnnDisabledReason is null;
        table.AddRow("matmul bf16", $"{bf16:F0} GFLOP/s ({bf16 / fp32:F1}× fp32: bf16 is {(fast ? "fast" : "not fast")} here, so --dtype auto runs {(fast ? "bf16" : "fp32")} on the CPU)");
        AnsiConsole.Write(table);
        return 0;
    }
}
