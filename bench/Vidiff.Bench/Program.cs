using BenchmarkDotNet.Running;

// Micro-benchmarks of the UNet's building blocks (fp32 against bf16). Whole-model figures with GFLOP/s come from
// `vidiff bench`; these say which layers gain from bf16 on this CPU.
Vidiff.Runtime.NativeRuntime.EnsureLoaded();
BenchmarkSwitcher.FromAssembly(typeof(Vidiff.Bench.BlockBenchmarks).Assembly).Run(args);
