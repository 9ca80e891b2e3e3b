using System.Globalization;

namespace Vidiff.Pipelines.Training;

/// <summary>How a stage run ended: steps reached, the last loss (NaN when the run took no step: the stage was already trained), wall time, and the stage's own measured figures.</summary>
public sealed record StageResult(string Stage, long Step, long Steps, double Loss, TimeSpan Elapsed, string? Figures)
{
    public bool Finished => Step >= Steps;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Stage}: step {Step}/{Steps}{(Finished ? "" : " (budget reached; rerun to continue)")}, {(double.IsNaN(Loss) ? "no step left to take" : $"loss {Loss:G4}")}, {Elapsed.TotalMinutes:F1} min{(Figures is null ? "" : "; " + Figures)}");
}
