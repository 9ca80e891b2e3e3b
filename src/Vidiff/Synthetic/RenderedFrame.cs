namespace Vidiff.Synthetic;

/// <summary>
/// One rendered frame, row-major: Rgb is [3,H,W] in [0,1]; Depth is [H,W] camera z-depth in metres of the ray
/// through the pixel centre (capped at <see cref="SceneRenderer.FarDepth"/>); Mask is [H,W] object ids
/// (0 floor or background, i + 1 for Scene.Objects[i]) from the same ray.
/// </summary>
public sealed record RenderedFrame(int Size, float[] Rgb, float[] Depth, byte[] Mask);
