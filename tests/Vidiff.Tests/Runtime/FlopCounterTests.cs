using TorchSharp;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Tests.Runtime;

public class FlopCounterTests
{
    [Fact]
    public void CountsConvolutionAndLinearMultiplyAdds()
    {
        using var model = nn.Sequential(
            ("conv", new Vidiff.Nn.Conv(3, 8, 3, padding: 1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(8 * 5 * 4, 10)));
        using var counter = new FlopCounter(model);
        using var _ = model.forward(randn(2, 3, 5, 4));
        double conv = 2.0 * (2 * 8 * 5 * 4) * (3 * 3 * 3);
        double fc = 2.0 * (2 * 10) * (8 * 5 * 4);
        Assert.Equal(conv + fc, counter.Flops);
    }

    [Fact]
    public void HooksAreRemovedOnDispose()
    {
        using var model = nn.Linear(4, 4);
        var counter = new FlopCounter(model);
        counter.Dispose();
        using var _ = model.forward(randn(1, 4));
        Assert.Equal(0, counter.Flops);
    }
}
