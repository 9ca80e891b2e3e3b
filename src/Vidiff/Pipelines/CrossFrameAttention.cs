namespace Vidiff.Pipelines;

/// <summary>
/// Whether every frame's spatial self-attention also reads anchor frames (<see cref="Nn.CrossFrame"/>): consistency
/// without trained temporal layers, the default for a model whose temporal layers are untrained.
/// </summary>
public enum CrossFrameAttention
{
    /// <summary>Each frame attends to its own pixels only: the UNet as trained.</summary>
    Off,

    /// <summary>Each frame also attends to its window's first frame and, after the first window, the previous window's
    /// last frame (<see cref="FrameWindows.Anchors"/>).</summary>
    Anchor,
}
