namespace Vidiff.Evaluation;

/// <summary>
/// What one held-out clip gave: the prompts and reference asked, the colours read back (null: grey or empty region),
/// and the per-clip figures behind the report's means. <paramref name="InputObjectSeen"/>, <paramref name="RoundTripSeen"/>
/// and <paramref name="OwnFrameSeen"/> name the objects' colour in the input, after the autoencoder's round trip, and in an
/// edit whose reference is the clip's own first frame: where along the way an object's colour is lost.
/// <paramref name="Pixels"/> reads the same edits pixel by pixel against the true masks and the perfect edits.
/// </summary>
public sealed record ClipResult(
    string Clip,
    int Seed,
    string ObjectPrompt,
    string ObjectColour,
    string? ObjectSeen,
    string FloorPrompt,
    string FloorColour,
    string? FloorSeen,
    string Reference,
    string ReferenceColour,
    string? ReferenceSeen,
    string? InputObjectSeen,
    string? RoundTripSeen,
    string? OwnFrameSeen,
    double InputAbsRel,
    IReadOnlyDictionary<int, double> AbsRel,
    double InputObjectAbsRel,
    double ObjectAbsRel,
    double FrameConsistency,
    double FrameConsistencyPerFrame,
    double Flicker,
    double FlickerPerFrame,
    ClipPixels Pixels);
