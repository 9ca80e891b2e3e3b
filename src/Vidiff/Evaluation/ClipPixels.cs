namespace Vidiff.Evaluation;

/// <summary>
/// One clip's pixel figures against the renderer's truth (<see cref="PixelColours"/>, <see cref="PerfectEdit"/>,
/// <see cref="ImageQuality"/>): object share (eroded true mask) and object IoU of the default object-colour edit, of
/// the reference-image edit (asked: the reference's colour), of the input (asked: each object's own colour,
/// <see cref="PixelColours.Own"/>) and of the perfect object edit; floor share of the floor edit, the input and the perfect floor
/// edit; the edits' PSNR (dB) and SSIM against their perfect edits, the per-frame model's (ω_t = 0) object edit as a
/// baseline; and the renderer redrawing the unedited scene against the stored input (PSNR; it should be high: the
/// perfect edits are drawn by the same renderer). NaN where nothing is counted (no chromatic object or floor). Iou, not
/// IoU, so the JSON key reads object_iou.
/// </summary>
public sealed record ClipPixels(
    double ObjectShare,
    double ObjectIou,
    double FloorShare,
    double ReferenceShare,
    double ReferenceIou,
    double InputObjectShare,
    double InputObjectIou,
    double InputFloorShare,
    double PerfectObjectShare,
    double PerfectObjectIou,
    double PerfectFloorShare,
    double RerenderPsnr,
    double ObjectPsnr,
    double ObjectSsim,
    double PerFramePsnr,
    double PerFrameSsim,
    double FloorPsnr,
    double FloorSsim);
