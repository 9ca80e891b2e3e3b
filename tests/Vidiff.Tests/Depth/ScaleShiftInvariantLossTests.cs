using TorchSharp;
using Vidiff.Depth;
using static TorchSharp.torch;

namespace Vidiff.Tests.Depth;

public class ScaleShiftInvariantLossTests
{
    static Tensor Target(int n = 2, int size = 16)
    {
        // Smooth ramps plus a box: structure with both gradients and discontinuities.
        var y = linspace(0, 1, size).view(1, size, 1);
        var x = linspace(0, 1, size).view(1, 1, size);
        var box = zeros(n, size, size);
        box[.., 4..10, 5..12] = 0.5f;
        return 1 + y * arange(1, n + 1).view(n, 1, 1) + 0.3f * x + box;
    }

    [Theory]
    [InlineData(SsiLossKind.Mse)]
    [InlineData(SsiLossKind.TrimmedAbsolute)]
    public void AffineTransformOfTheTargetCostsNothing(SsiLossKind kind)
    {
        using var target = Target();
        var scale = tensor(new[] { 3.5f, 0.2f }).view(2, 1, 1);
        var shift = tensor(new[] { -7f, 40f }).view(2, 1, 1);
        using var prediction = target * scale + shift;
        var loss = new ScaleShiftInvariantLoss(kind);
        var value = loss.Compute(prediction, target).item<float>();
        Assert.True(value < 1e-4, $"loss {value}"); // float32 rounding of the shifted prediction
    }

    [Theory]
    [InlineData(SsiLossKind.Mse, 0.0)]
    [InlineData(SsiLossKind.Mse, 0.5)]
    [InlineData(SsiLossKind.TrimmedAbsolute, 0.5)]
    public void AnyOtherPredictionCostsSomething(SsiLossKind kind, double gradientWeight)
    {
        manual_seed(0);
        using var target = Target();
        var loss = new ScaleShiftInvariantLoss(kind, gradientWeight);
        using var noisy = target * 2 + 0.1f * randn_like(target);
        using var flipped = -target.flip(1);
        float small = loss.Compute(noisy, target).item<float>(), large = loss.Compute(flipped, target).item<float>();
        Assert.True(small > 1e-4, $"noisy prediction gave {small}");
        Assert.True(large > small, $"a flipped map ({large}) should cost more than a noisy one ({small})");
    }

    [Fact]
    public void MaskedPixelsDoNotCount()
    {
        using var target = Target(1);
        using var prediction = target.clone();
        prediction[0, 0, 0] = 100f;
        using var mask = ones_like(target);
        mask[0, 0, 0] = 0f;
        var loss = new ScaleShiftInvariantLoss();
        Assert.True(loss.Compute(prediction, target, mask).item<float>() < 1e-5);
        Assert.True(loss.Compute(prediction, target).item<float>() > 1e-2);
    }

    [Fact]
    public void ConstantPredictionCostsTheTargetVariance()
    {
        using var target = Target(1);
        using var constant = full_like(target, 3f);
        var loss = new ScaleShiftInvariantLoss(gradientWeight: 0);
        Assert.Equal((target - target.mean()).square().mean().item<float>(), loss.Compute(constant, target).item<float>(), 5);
    }

    [Fact]
    public void TinyModelOverfitsOneBatch()
    {
        manual_seed(3); // without the open final ReLU this init predicted zero everywhere and never moved
        using var model = new DptDepthEstimator(DptConfig.Tiny);
        // Smooth frames whose disparity is a fixed function of their colour: the model must learn a real mapping.
        using var frames = nn.functional.interpolate(rand(2, 3, 4, 4) * 2 - 1, [32, 32], mode: InterpolationMode.Bilinear, align_corners: true);
        using var disparity = 1 / (1.5f + frames.mean([1], keepdim: true));
        var loss = new ScaleShiftInvariantLoss();
        using var optimizer = optim.Adam(model.parameters(), lr: 3e-3);
        float first = 0, last = float.MaxValue;
        int step = 0;
        for (; step < 200 && last > first / 10; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var l = loss.Compute(model.forward(frames), disparity);
            l.backward();
            optimizer.step();
            last = l.item<float>();
            if (step == 0) first = last;
        }
        Assert.True(last < first / 10, $"loss went from {first} to {last}");
        Console.WriteLine($"overfit: {first} -> {last} in {step} steps");
    }
}
