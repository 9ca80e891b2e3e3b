namespace Vidiff.Synthetic;

/// <summary>
/// The structured description of a clip: everything the renderer draws and the captions say.
/// Kept beside the frames so evaluation can read colour names and motion back.
/// </summary>
public sealed record Scene(
    IReadOnlyList<SceneObject> Objects,
    Surface Floor,
    Background Background,
    Light Light,
    Camera Camera,
    CameraMotion CameraMotion);
