namespace Vidiff.Depth;

/// <summary>Space in which a relative prediction is aligned to metric truth before it is scored.</summary>
public enum DepthAlignment
{
    /// <summary>The prediction is inverse depth (what DPT outputs): align it to 1/depth.</summary>
    Disparity,
    /// <summary>The prediction is depth-like: align it to depth directly.</summary>
    Depth,
}
