using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Depth;
using Vidiff.Prior;
using Vidiff.Unet;

namespace Vidiff.Tests.Training;

public sealed class MiniBudgetTests
{
    static long Count(TorchSharp.torch.nn.Module m) => m.parameters().Sum(p => p.numel());

    /// <summary>Issue 5: the bundled model is at most 40 MB in fp16, so at most 20M parameters in all.</summary>
    [Fact]
    public void MiniModelFitsFortyMegabytesInHalfPrecision()
    {
        var config = ModelConfig.Mini(1024, 1023);
        long unet = Count(new SpatioTemporalUnet(config.Unet));
        long total = unet + Count(new AutoencoderKL(config.Autoencoder)) + Count(new ClipModel(config.Clip))
            + Count(new PriorTransformer(config.Prior)) + Count(new DptDepthEstimator(config.Depth));
        Assert.InRange(unet, 10_000_000, 13_000_000);
        Assert.True(total * 2 <= 40_000_000, $"{total} parameters are {total * 2 / 1e6:F1} MB in fp16");
    }
}
