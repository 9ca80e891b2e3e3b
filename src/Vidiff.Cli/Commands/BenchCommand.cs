using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using TorchSharp;
using Vidiff.Autoencoder;
using Vidiff.Diffusion;
using Vidiff.Nn;
using Vidiff.Pipelines;
using Vidiff.Runtime;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Cli.Commands;

/// <summary>
/// `vidiff bench`: forward time per frame of the UNet (tiny, mini, SD 1.5 shapes; 1 and 8 frames; fp32, and bf16 where it is fast)
/// and of the autoencoder on 512×512 frames, with achieved GFLOP/s beside the machine's matmul peak; with --edit-step, one
/// sampler step of a full-size edit instead.
/// </summary>
static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Skip the full-size (SD 1.5) shapes; seconds instead of minutes." };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per case (the best is reported).", DefaultValueFactory = _ => 3 };
        var bf16 = new Option<bool>("--bf16") { Description = "Also run bf16 where this CPU emulates it (it is left out there: such a run takes hours); with --edit-step, run the step in bf16." };
        var device = CommandOptions.Device();
        var editStep = new Option<bool>("--edit-step")
        {
            Description = "Instead: one sampler step of an edit (the guided UNet passes over the clip's windows, paper guidance: 3 passes) with a Stable Diffusion 2-depth-shaped random video UNet; seconds and peak memory. Minutes on a CPU.",
        };
        var frames = new Option<int>("--frames") { Description = "With --edit-step: frames of the clip.", DefaultValueFactory = _ => 16 };
        var window = new Option<int>("--window") { Description = "With --edit-step: frames per window (overlap 2, as the sd15 config).", DefaultValueFactory = _ => 16 };
        var size = new Option<int>("--size") { Description = "With --edit-step: width and height of the frames in pixels (latents 1/8).", DefaultValueFactory = _ => 512 };
        var command = new Command("bench", "Measure UNet and autoencoder speed on this machine (random weights; speed does not depend on them).")
        {
            quick, repeats, bf16, device, editStep, frames, window, size,
        };
        command.SetAction(parse => CommandErrors.Run(() => parse.GetValue(editStep)
            ? EditStep(DeviceChoice.Parse(parse.GetValue(device)!), parse.GetValue(bf16), parse.GetValue(frames), parse.GetValue(window), parse.GetValue(size))
            : Run(DeviceChoice.Parse(parse.GetValue(device)!), parse.GetValue(quick), parse.GetValue(repeats), parse.GetValue(bf16))));
        return command;
    }

    static int Run(Device device, bool quick, int repeats, bool forceBf16)
    {
        if (repeats < 1) throw new ArgumentException($"--repeats must be at least 1, got {repeats}.");
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160; // keep the table readable in logs
        int threads = Threads.Configure();
        var (chosen, reason) = PrecisionChoice.Choose(forceBf16 ? Precision.Bf16 : Precision.Auto, device);
        bool bf16 = chosen == ScalarType.BFloat16;
        ScalarType[] dtypes = bf16 ? [ScalarType.Float32, ScalarType.BFloat16] : [ScalarType.Float32];
        double peak32 = MatmulPeak.Measure(ScalarType.Float32, 2048, device: device);
        double peak16 = bf16 ? MatmulPeak.Measure(ScalarType.BFloat16, 2048, device: device) : double.NaN;
        AnsiConsole.MarkupLine($"{DeviceChoice.Name(device)}, threads {threads}; matmul peak fp32 [bold]{peak32:F0}[/] GFLOP/s" + (bf16 ? $", bf16 [bold]{peak16:F0}[/] GFLOP/s" : ""));
        if (!bf16) AnsiConsole.MarkupLine($"bf16 left out ({CommandErrors.Escape(reason)}); --bf16 runs it anyway");

        var table = new Table().AddColumns("model", "params", "input", "frames", "dtype", "s / frame", "GFLOP / frame", "GFLOP/s", "% of peak");
        var unets = new List<(string Name, UnetConfig Config, int Latent)> { ("unet tiny", UnetConfig.Tiny, 8), ("unet mini", UnetConfig.Mini, 16) };
        if (!quick) unets.Add(("unet sd15", UnetConfig.Sd15, 64));
        foreach (var (name, config, latent) in unets)
            foreach (var dtype in dtypes)
            {
                using var unet = Network(new SpatioTemporalUnet(config), dtype, device);
                long parameters = unet.ParameterCount();
                foreach (int frames in new[] { 1, 8 })
                {
                    var (seconds, flops) = Time(unet, device, repeats, () =>
                    {
                        var z = randn([1, config.LatentChannels, frames, latent, latent], dtype: dtype, device: device);
                        var s = randn([1, config.StructureChannels, frames, latent, latent], dtype: dtype, device: device);
                        var c = randn(1, 1, config.ContentDim, dtype: dtype, device: device);
                        return unet.forward(z, s, tensor(new[] { 500L }, device: device), c);
                    });
                    AddRow(table, name, parameters, $"{latent}×{latent} latent", frames, dtype, seconds / frames, flops / frames, dtype == ScalarType.BFloat16 ? peak16 : peak32);
                }
                AnsiConsole.MarkupLine($"[grey]{name} {dtype} done[/]");
            }

        foreach (var dtype in dtypes)
        {
            var config = quick ? AutoencoderConfig.Mini : AutoencoderConfig.Sd;
            int size = quick ? 64 : 512;
            using var ae = Network(new AutoencoderKL(config), dtype, device);
            long parameters = ae.parameters().Sum(p => p.numel());
            var image = randn(1, 3, size, size, dtype: dtype, device: device);
            var (encode, encodeFlops) = Time(ae, device, repeats, () => ae.Encode(image).mean);
            int latent = size / config.Stride;
            var z = randn(1, config.LatentChannels, latent, latent, dtype: dtype, device: device);
            var (decode, decodeFlops) = Time(ae, device, repeats, () => ae.Decode(z));
            double peak = dtype == ScalarType.BFloat16 ? peak16 : peak32;
            string model = quick ? "autoencoder mini" : "autoencoder sd";
            AddRow(table, model + " encode", parameters, $"{size}×{size} image", 1, dtype, encode, encodeFlops, peak);
            AddRow(table, model + " decode", parameters, $"{latent}×{latent} latent", 1, dtype, decode, decodeFlops, peak);
        }
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary>
    /// One sampler step of a full-size edit, as <see cref="EditPipeline"/> runs it: the clip's windows, each guided as
    /// the paper writes it (the video model on c and ∅ in one batch, the per-frame model on ∅). The sampler's own
    /// arithmetic is a few elementwise ops on the latents, so the step is the network's work.
    /// </summary>
    static int EditStep(Device device, bool bf16, int frames, int window, int size)
    {
        if (frames < 1 || window < 3 || size < 8 || size % 8 != 0)
            throw new ArgumentException($"--frames {frames}, --window {window}, --size {size}: expected at least 1 frame, a window of at least 3 and a size that is a positive multiple of 8.");
        int threads = Threads.Configure();
        var dtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var config = UnetConfig.Sd2Depth;
        var plan = FrameWindows.Plan(frames, window, Math.Min(2, window - 1));
        int latent = size / 8;
        var clock = Stopwatch.StartNew();
        using var unet = Network(new SpatioTemporalUnet(config), dtype, device);
        AnsiConsole.MarkupLine($"SD 2-depth-shaped video UNet, {unet.ParameterCount() / 1e9:F3} G parameters, {PrecisionChoice.Name(dtype)}, on {DeviceChoice.Name(device)} " +
            $"({threads} threads), built in {clock.Elapsed.TotalSeconds:F0} s; {frames} frames of {size}×{size} ({latent}×{latent} latents), " +
            $"{plan.Windows.Count} window(s) of {plan.Windows[0].Length}");

        // The peak of the step, not of building the network (random initialisation holds a second copy of weights for a
        // moment): Linux resets a process's peak resident memory when 5 is written to clear_refs.
        if (OperatingSystem.IsLinux()) File.WriteAllText("/proc/self/clear_refs", "5");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        manual_seed(0);
        var z = randn([1, config.LatentChannels, frames, latent, latent], device: device);
        var s = rand([1, config.StructureChannels, frames, latent, latent], device: device) * 2 - 1;
        var c = randn(1, 1, config.ContentDim, device: device);
        var u = zeros(1, 1, config.ContentDim, device: device);
        var times = new List<double>();
        var windowClock = Stopwatch.StartNew();
        var step = EditPipeline.Windowed(unet, plan, s, c, u, guidance: 7.5, temporalGuidance: 1.5, GuidanceForm.Paper, CrossFrameAttention.Off, (done, count) =>
        {
            DeviceChoice.Synchronize(device);
            times.Add(windowClock.Elapsed.TotalSeconds);
            AnsiConsole.MarkupLine($"[grey]window {done}/{count}: {times[^1]:F1} s[/]");
            windowClock.Restart();
        }, default);
        clock.Restart();
        step(z, tensor(new[] { 981L }, device: device));
        DeviceChoice.Synchronize(device);
        double seconds = clock.Elapsed.TotalSeconds;
        int framePasses = plan.Windows.Sum(w => w.Length) * 3;
        long weights = unet.parameters().Sum(p => p.numel() * p.element_size());
        AnsiConsole.MarkupLine($"one step: [bold]{seconds:F1} s[/] ({framePasses} frame passes, {seconds / framePasses:F2} s each); " +
            $"peak resident memory during the step [bold]{Process.GetCurrentProcess().PeakWorkingSet64 / 1e9:F2} GB[/] (the weights {weights / 1e9:F2} GB)");
        return 0;
    }

    /// <summary>A random network as a model folder runs it: in <paramref name="dtype"/> on <paramref name="device"/>,
    /// evaluation mode, channels-last convolutions.</summary>
    static T Network<T>(T network, ScalarType dtype, Device device) where T : nn.Module
    {
        network.to(dtype).to(device).eval();
        Conv.UseChannelsLast(network);
        return network;
    }

    static (double Seconds, double Flops) Time(nn.Module model, Device device, int repeats, Func<Tensor> forward)
    {
        using var _ = no_grad();
        double flops;
        using (var counter = new FlopCounter(model))
        using (var scope = NewDisposeScope())
        {
            forward(); // warm-up, also counts the work
            flops = counter.Flops;
        }
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            forward();
            DeviceChoice.Synchronize(device);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return (best, flops);
    }

    static void AddRow(Table table, string model, long parameters, string input, int frames, ScalarType dtype, double seconds, double flops, double peak)
    {
        double rate = flops / seconds / 1e9;
        table.AddRow(model, $"{parameters / 1e6:F1}M", input, frames.ToString(), dtype == ScalarType.BFloat16 ? "bf16" : "fp32",
            $"{seconds:F3}", $"{flops / 1e9:G3}", $"{rate:F0}", $"{100 * rate / peak:F0}%");
    }
}
