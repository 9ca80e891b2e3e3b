using BenchmarkDotNet.Running;

// `peer`: Vidiff against ONNX Runtime on the same network (OnnxPeer); `crossframe`: cross-frame attention and shared
// noise on held-out clips (CrossFrameBench). Otherwise micro-benchmarks of the UNet's building
// blocks (fp32 against bf16); whole-model figures with GFLOP/s come from `vidiff bench`.
Vidiff.Runtime.NativeRuntime.EnsureLoaded();
if (args.Length > 0 && args[0] == "peer") return Vidiff.Bench.OnnxPeer.Run(args[1..]);
if (args.Length > 0 && args[0] == "crossframe") return Vidiff.Bench.CrossFrameBench.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Vidiff.Bench.BlockBenchmarks).Assembly).Run(args);
return 0;
