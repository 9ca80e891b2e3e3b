using TorchSharp;
using BenchmarkDotNet.Attributes;
using Vidiff.Nn;
using static TorchSharp.torch;

namespace Vidiff.Bench;

/// <summary>One block of the mini UNet's middle level (128 channels, 16 frames of 16×16), forward only.</summary>
[InProcess]
[MemoryDiagnoser(false)]
public class BlockBenchmarks
{
    const int Frames = 16, Channels = 128, Size = 16;
    ResBlock resBlock = null!;
    SpatialTransformer transformer = null!;
    TemporalConvolution temporalConvolution = null!;
    TemporalAttention temporalAttention = null!;
    Tensor x = null!, temb = null!, content = null!;

    [Params(ScalarType.Float32, ScalarType.BFloat16)]
    public ScalarType Dtype { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        resBlock = new ResBlock(Channels, Channels, 32, 1e-5, timeDim: 256, temporal: true);
        transformer = new SpatialTransformer(Channels, 4, 32, 1, 256, 32, linearProjection: false);
        temporalConvolution = new TemporalConvolution(Channels, 32);
        temporalAttention = new TemporalAttention(Channels, 4, 32, 32);
        foreach (var m in new nn.Module[] { resBlock, transformer, temporalConvolution, temporalAttention }) m.to(Dtype).eval();
        x = randn(Frames, Channels, Size, Size).to(Dtype);
        temb = randn(Frames, 256).to(Dtype);
        content = randn(Frames, 4, 256).to(Dtype);
    }

    [Benchmark]
    public void ResBlockWithTemporalConvolutions()
    {
        using var _ = no_grad();
        resBlock.forward(x, temb, Frames).Dispose();
    }

    [Benchmark]
    public void SpatialTransformer()
    {
        using var _ = no_grad();
        transformer.forward(x, content).Dispose();
    }

    [Benchmark]
    public void TemporalConvolution()
    {
        using var _ = no_grad();
        temporalConvolution.forward(x, Frames).Dispose();
    }

    [Benchmark]
    public void TemporalAttention()
    {
        using var _ = no_grad();
        temporalAttention.forward(x, Frames).Dispose();
    }
}
