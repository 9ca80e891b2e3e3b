namespace Vidiff.Synthetic;

/// <summary>
/// A clip's clip.json: its scene description, captions, per-frame camera poses and depth scale.
/// Depth is camera z-depth in metres (the sky and anything beyond <see cref="SceneRenderer.FarDepth"/> read as FarDepth);
/// mask value i + 1 is Scene.Objects[i], 0 the floor or background. Frames are at clip times 0..1 evenly.
/// </summary>
public sealed record ClipInfo(
    string Name,
    int Seed,
    int Size,
    int Frames,
    DepthScale Depth,
    IReadOnlyList<string> Captions,
    Scene Scene,
    IReadOnlyList<CameraPose> Cameras);
