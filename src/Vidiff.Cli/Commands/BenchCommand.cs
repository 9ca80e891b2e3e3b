using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using TorchSharp;
using Vidiff.Autoencoder;
using Vidiff.Nn;
using Vidiff.Runtime;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Cli.Commands;

/// <summary>
/// `vidiff bench`: forward time per frame of the UNet (tiny, mini, SD 1.5 shapes; 1 and 8 frames; fp32, and bf16 where it is fast)
/// and of the autoencoder on 512×512 frames, with achieved GFLOP/s beside the machine's matmul peak.
/// </summary>
static class BenchCommand
{
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Skip the full-size (SD 1.5) shapes; seconds instead of minutes." };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per case (the best is reported).", DefaultValueFactory = _ => 3 };
        var bf16 = new Option<bool>("--bf16") { Description = "Also run bf16 where this CPU emulates it (it is left out there: such a run takes hours)." };
        var command = new Command("bench", "Measure UNet and autoencoder speed on this machine (random weights; speed does not depend on them).") { quick, repeats, bf16 };
        command.SetAction(parse => Run(parse.GetValue(quick), parse.GetValue(repeats), parse.GetValue(bf16)));
        return command;
    }

    static int Run(bool quick, int repeats, bool forceBf16)
    {
        if (repeats < 1)
        {
            Console.Error.WriteLine($"--repeats must be at least 1, got {repeats}");
            return 2;
        }
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160; // keep the table readable in logs
        int threads = Threads.Configure();
        var (bf16, reason) = PrecisionChoice.Choose(forceBf16 ? Precision.Bf16 : Precision.Auto);
        ScalarType[] dtypes = bf16 ? [ScalarType.Float32, ScalarType.BFloat16] : [ScalarType.Float32];
        double peak32 = MatmulPeak.Measure(ScalarType.Float32, 2048);
        double peak16 = bf16 ? MatmulPeak.Measure(ScalarType.BFloat16, 2048) : double.NaN;
        AnsiConsole.MarkupLine($"threads {threads}; matmul peak fp32 [bold]{peak32:F0}[/] GFLOP/s" + (bf16 ? $", bf16 [bold]{peak16:F0}[/] GFLOP/s" : ""));
        if (!bf16) AnsiConsole.MarkupLine($"bf16 left out ({CommandErrors.Escape(reason)}); --bf16 runs it anyway");

        var table = new Table().AddColumns("model", "params", "input", "frames", "dtype", "s / frame", "GFLOP / frame", "GFLOP/s", "% of peak");
        var unets = new List<(string Name, UnetConfig Config, int Latent)> { ("unet tiny", UnetConfig.Tiny, 8), ("unet mini", UnetConfig.Mini, 16) };
        if (!quick) unets.Add(("unet sd15", UnetConfig.Sd15, 64));
        foreach (var (name, config, latent) in unets)
            foreach (var dtype in dtypes)
            {
                using var unet = new SpatioTemporalUnet(config);
                unet.to(dtype).eval();
                Conv.UseChannelsLast(unet);
                long parameters = unet.parameters().Sum(p => p.numel());
                foreach (int frames in new[] { 1, 8 })
                {
                    var (seconds, flops) = Time(unet, repeats, () =>
                    {
                        var z = randn([1, config.LatentChannels, frames, latent, latent], dtype: dtype);
                        var s = randn([1, config.StructureChannels, frames, latent, latent], dtype: dtype);
                        var c = randn(1, 1, config.ContentDim, dtype: dtype);
                        return unet.forward(z, s, tensor(new[] { 500L }), c);
                    });
                    AddRow(table, name, parameters, $"{latent}×{latent} latent", frames, dtype, seconds / frames, flops / frames, dtype == ScalarType.BFloat16 ? peak16 : peak32);
                }
                AnsiConsole.MarkupLine($"[grey]{name} {dtype} done[/]");
            }

        foreach (var dtype in dtypes)
        {
            var config = quick ? AutoencoderConfig.Mini : AutoencoderConfig.Sd;
            int size = quick ? 64 : 512;
            using var ae = new AutoencoderKL(config);
            ae.to(dtype).eval();
            Conv.UseChannelsLast(ae);
            long parameters = ae.parameters().Sum(p => p.numel());
            var image = randn(1, 3, size, size, dtype: dtype);
            var (encode, encodeFlops) = Time(ae, repeats, () => ae.Encode(image).mean);
            int latent = size / config.Stride;
            var z = randn(1, config.LatentChannels, latent, latent, dtype: dtype);
            var (decode, decodeFlops) = Time(ae, repeats, () => ae.Decode(z));
            double peak = dtype == ScalarType.BFloat16 ? peak16 : peak32;
            string model = quick ? "autoencoder mini" : "autoencoder sd";
            AddRow(table, model + " encode", parameters, $"{size}×{size} image", 1, dtype, encode, encodeFlops, peak);
            AddRow(table, model + " decode", parameters, $"{latent}×{latent} latent", 1, dtype, decode, decodeFlops, peak);
        }
        AnsiConsole.Write(table);
        return 0;
    }

    static (double Seconds, double Flops) Time(nn.Module model, int repeats, Func<Tensor> forward)
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
