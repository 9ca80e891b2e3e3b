using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Nn;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Bench;

/// <summary>
/// Vidiff against ONNX Runtime on the same network, weights and inputs, in one process: one UNet pass per call, the
/// two engines interleaved round by round (the order alternating) so that both see the same machine state, each on
/// the same number of threads. The networks come from tools/bench/make_onnx_peers.py, which exports diffusers' own
/// UNet2DConditionModel; Vidiff imports the same weights from the diffusers folder beside the ONNX file.
/// </summary>
public static class OnnxPeer
{
    const string Usage = "usage: Vidiff.Bench peer [--peers DIR] [--passes N] [--only sd15|mini] [--bf16]";

    /// <summary>What each exported network is run on: its name, batch sizes (frames run as images), latent size and content tokens.</summary>
    static readonly (string Name, int[] Batches, int Size, int Tokens)[] Cases =
        [("mini", [1, 16], 16, 4), ("sd15", [1], 64, 77)];

    public static int Run(string[] args)
    {
        string peers = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vidiff", "onnx-peers");
        int passes = 5;
        string? only = null;
        bool forceBf16 = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value; {Usage}");
            switch (args[i])
            {
                case "--peers": peers = Value(); break;
                case "--passes": passes = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--only": only = Value(); break;
                case "--bf16": forceBf16 = true; break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}; {Usage}"); return 2;
            }
        }
        if (passes < 5)
        {
            Console.Error.WriteLine($"--passes must be at least 5 (best and median of each), got {passes}");
            return 2;
        }

        int threads = Threads.Configure();
        var (chosen, reason) = PrecisionChoice.Choose(forceBf16 ? Precision.Bf16 : Precision.Auto, CPU);
        bool bf16 = chosen == ScalarType.BFloat16;
        Console.WriteLine($"{Cpu()}, {threads} threads for each engine; ONNX Runtime {OrtEnv.Instance().GetVersionString()}; libtorch {__version__}");
        Console.WriteLine(bf16 ? $"Vidiff also runs in bf16 ({reason})" : $"Vidiff bf16 left out ({reason}); --bf16 runs it anyway");
        Console.WriteLine();
        Console.WriteLine("| network | input | engine | best s | median s | × ORT fp32 (paired median) | max abs diff to ORT |");
        Console.WriteLine("|---|---|---|---|---|---|---|");

        int ran = 0;
        foreach (var (name, batches, size, tokens) in Cases.Where(c => only is null || c.Name == only))
        {
            var folder = Path.Combine(peers, name);
            var onnx = Path.Combine(folder, "unet.onnx");
            if (!File.Exists(onnx) || !File.Exists(Path.Combine(folder, "unet", "config.json")))
            {
                Console.Error.WriteLine($"{name}: no {onnx} (with unet/ beside it); make it with");
                Console.Error.WriteLine($"  /usr/bin/python3 tools/bench/make_onnx_peers.py /path/to/diffusers {peers} {name}");
                continue;
            }
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            // Idle ORT threads would otherwise spin on the cores while libtorch runs its pass.
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            using var session = new InferenceSession(onnx, options);
            foreach (var dtype in bf16 ? new[] { ScalarType.Float32, ScalarType.BFloat16 } : [ScalarType.Float32])
            {
                using var unet = ImageModelImport.UnetFromDiffusers(Path.Combine(folder, "unet"), dtype);
                unet.eval();
                Conv.UseChannelsLast(unet); // as every edit runs it (ModelFolder.Load)
                foreach (int batch in batches)
                    Compare(session, unet, $"{name} image UNet", batch, size, tokens, dtype, passes);
            }
            ran++;
        }
        return ran > 0 ? 0 : 1;
    }

    static void Compare(InferenceSession session, Unet.SpatioTemporalUnet unet, string network, int batch, int size, int tokens, ScalarType dtype, int passes)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var config = unet.Config;
        var inputMeta = session.InputMetadata["sample"];
        int inChannels = inputMeta.Dimensions[1];
        manual_seed(0);
        var sample = randn([batch, inChannels, size, size]);
        var timestep = full(batch, 500f);
        var content = randn([1, tokens, config.ContentDim]);

        // ORT sees the frames as a batch of images; Vidiff sees one video of `batch` frames run per frame (m_π).
        var ortInputs = new[] { Ort(sample), Ort(timestep), Ort(content.expand(batch, -1, -1)) };
        var latents = sample.narrow(1, 0, config.LatentChannels).unsqueeze(0).transpose(1, 2);
        var structure = inChannels > config.LatentChannels
            ? sample.narrow(1, config.LatentChannels, config.StructureChannels).unsqueeze(0).transpose(1, 2)
            : zeros([1, config.StructureChannels, batch, size, size]); // its weights in conv_in are zero: the image model's output
        var t = tensor(new[] { 500f });
        using var run = new RunOptions();

        float[] OrtPass()
        {
            using var outputs = session.Run(run, ["sample", "timestep", "encoder_hidden_states"], ortInputs, ["out_sample"]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        Tensor VidiffPass()
        {
            using var pass = NewDisposeScope();
            return unet.forward(latents.to(dtype), structure.to(dtype), t, content.to(dtype), perFrame: true)
                .transpose(1, 2).squeeze(0).to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
        }

        var reference = OrtPass(); // warm-up of both, and the outputs compared
        var ours = VidiffPass();
        double maxDiff = (ours - tensor(reference).reshape(ours.shape)).abs().max().item<float>();
        var ortTimes = new List<double>();
        var vidiffTimes = new List<double>();
        for (int round = 0; round < passes; round++)
        {
            for (int k = 0; k < 2; k++)
            {
                bool ortTurn = (round + k) % 2 == 0;
                Thread.Sleep(200); // let the other engine's threads go idle
                var watch = Stopwatch.StartNew();
                if (ortTurn) OrtPass();
                else VidiffPass().Dispose();
                (ortTurn ? ortTimes : vidiffTimes).Add(watch.Elapsed.TotalSeconds);
            }
        }
        foreach (var value in ortInputs) value.Dispose();

        string input = $"{batch}×{inChannels}×{size}×{size}, {tokens} tokens";
        if (dtype == ScalarType.Float32) Row(network, input, "ONNX Runtime fp32", ortTimes, "1.00", "");
        double ratio = Median(vidiffTimes.Zip(ortTimes, (v, o) => v / o).ToList());
        Row(network, input, $"Vidiff {(dtype == ScalarType.BFloat16 ? "bf16" : "fp32")}", vidiffTimes, $"{ratio:F2}", $"{maxDiff:G2}");
    }

    static OrtValue Ort(Tensor t)
    {
        var contiguous = t.contiguous();
        return OrtValue.CreateTensorValueFromMemory(contiguous.data<float>().ToArray(), contiguous.shape);
    }

    static void Row(string network, string input, string engine, List<double> times, string ratio, string diff) =>
        Console.WriteLine($"| {network} | {input} | {engine} | {times.Min():F3} | {Median(times):F3} | {ratio} | {diff} |");

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static string Cpu()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{model ?? "CPU"} ({Environment.ProcessorCount} cores)";
    }
}
