namespace Vidiff.Evaluation;

/// <summary>
/// What one held-out clip gave: the prompts and reference asked, the colours read back (null: grey or empty region),
/// and the per-clip figures behind the report's means.
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
    double InputAbsRel,
    IReadOnlyDictionary<int, double> AbsRel,
    double InputObjectAbsRel,
    double ObjectAbsRel,
    double FrameConsistency,
    double FrameConsistencyPerFrame,
    double Flicker,
    double FlickerPerFrame,
    double PromptConsistency,
    double PromptConsistencyUnguided);
