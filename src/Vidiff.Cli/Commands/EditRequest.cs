using Vidiff.Customisation;
using Vidiff.Pipelines;
using Vidiff.Runtime;

namespace Vidiff.Cli.Commands;

/// <summary>An edit as asked for, from `vidiff edit`'s arguments or a Studio job: paths as given, knobs unresolved, the
/// device as typed (`--device`, checked first by <see cref="EditRun.Prepare"/>).</summary>
sealed record EditRequest(string Input, string? Prompt, string? Image, string? Output, string? Model, EditOptions Options,
    string? Negative, string? NegativeImage, FrameOptions.Values Frames, bool Preview, bool Overwrite, Precision Precision, string Device = "cpu",
    IReadOnlyList<AdapterChoice>? Adapters = null);
