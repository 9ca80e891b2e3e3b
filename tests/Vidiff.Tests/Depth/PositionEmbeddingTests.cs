using TorchSharp;
using Vidiff.Depth;
using static TorchSharp.torch;

namespace Vidiff.Tests.Depth;

public class PositionEmbeddingTests
{
    static Tensor Stored(VitEmbeddings e) => e.get_parameter("position_embeddings")!;

    [Fact]
    public void VitKeepsTheTrainedGridAndAveragesWhenHalving()
    {
        manual_seed(0);
        using var e = new VitEmbeddings(DptConfig.Tiny); // 32 px, patch 8: a 4×4 grid
        using var _ = no_grad();
        var stored = Stored(e);
        Assert.True(e.PositionEmbeddings(4, 4, true).allclose(stored, 0, 0));

        // Bilinear, half-pixel centres: halving the grid averages each 2×2 block exactly.
        var grid = stored[0, 1..].reshape(1, 4, 4, -1).permute(0, 3, 1, 2);
        var pooled = nn.functional.avg_pool2d(grid, 2).permute(0, 2, 3, 1).reshape(1, 4, -1);
        var halved = e.PositionEmbeddings(2, 2, true);
        Assert.Equal(new long[] { 1, 5, 16 }, halved.shape);
        Assert.True(halved[.., ..1].allclose(stored[.., ..1], 0, 0), "the [CLS] position is never interpolated");
        Assert.True(halved[.., 1..].allclose(pooled, atol: 1e-6));
        Assert.Equal(new long[] { 1, 1 + 3 * 7, 16 }, e.PositionEmbeddings(3, 7, false).shape);
    }

    [Fact]
    public void Dinov2InterpolatesOnlyWhenTheGridChanges()
    {
        var config = DptConfig.Tiny with { Backbone = DptBackbone.Dinov2, ImageSize = 28, PatchSize = 7 };
        manual_seed(0);
        using var e = new VitEmbeddings(config);
        using var _ = no_grad();
        var stored = Stored(e);
        Assert.True(e.PositionEmbeddings(4, 4, true).allclose(stored, 0, 0));

        stored[0, 1..].fill_(0.25f); // a constant grid stays constant under bicubic interpolation
        var wide = e.PositionEmbeddings(4, 6, false);
        Assert.Equal(new long[] { 1, 1 + 24, 16 }, wide.shape);
        Assert.True(wide[0, 1..].allclose(full(24, 16, 0.25f), atol: 1e-6));
    }
}
