using Vidiff.Evaluation;
using Vidiff.Synthetic;
using Vidiff.Tests.Pipelines;
using static TorchSharp.torch;

namespace Vidiff.Tests.Evaluation;

public class StructureWorthTests
{
    /// <summary>Rendered clips of 2 frames at the tiny model's 16×16, with their scene seeds.</summary>
    static (Tensor Frames, int Seed)[] Clips(params int[] indices)
    {
        var settings = new SynthSettings(Clips: 4, Seed: 13, Size: 16, MinFrames: 2, MaxFrames: 2, AntiAliasing: 1);
        return [.. indices.Select(i => SyntheticWriter.Render(settings, still: false, i)).Select(c =>
            (tensor(c.Frames.SelectMany(f => f.Rgb).ToArray(), [2, 3, 16, 16]) * 2 - 1, c.Info.Seed))];
    }

    [Fact]
    public void OwnErrorIsEachFramesOwnWhateverTheCompanyAndRerunsMatch()
    {
        using var model = EditFixtures.TinyModel();
        var (a, b) = (Clips(0), Clips(1));
        var both = StructureWorth.Measure(model, [a[0], b[0]], ts: 3, chunk: 4);
        var alone = (A: StructureWorth.Measure(model, a, ts: 3), B: StructureWorth.Measure(model, b, ts: 3));
        Assert.Equal((alone.A.Own + alone.B.Own) / 2, both.Own, 5);
        Assert.Equal(both.Own, StructureWorth.Measure(model, [b[0], a[0]], ts: 3).Own, 5);
        Assert.Equal(both, StructureWorth.Measure(model, [a[0], b[0]], ts: 3, chunk: 4));
        Assert.True(double.IsNaN(alone.A.Other), "one clip has no other clip's structure");
        Assert.True(double.IsFinite(both.Other) && both.Other != both.Own);
    }

    [Fact]
    public void AUnetBlindToStructureIsWorthNothing()
    {
        using var model = EditFixtures.TinyModel();
        using (no_grad())
        {
            var weight = model.Unet.named_parameters().Single(p => p.name == "conv_in.weight").parameter;
            weight.narrow(1, model.Config.Unet.LatentChannels, model.Config.Unet.StructureChannels).zero_();
        }
        var (own, other) = StructureWorth.Measure(model, Clips(0, 1, 2), ts: 0);
        Assert.Equal(own, other);
        Assert.Equal(0, StructureWorth.Of(own, other));
        Assert.Equal(0.25, StructureWorth.Of(0.3, 0.4), 12);
    }
}
