namespace Vidiff.Synthetic;

public sealed record RenderedClip(ClipInfo Info, IReadOnlyList<RenderedFrame> Frames);
