using System.Globalization;
using System.Text;
using Vidiff.Diffusion;

namespace Vidiff.Evaluation;

/// <summary>
/// The figures of an evaluation run with their bars, the settings they were measured at, every clip's results, and every
/// clip's pair of the guidance figure (the clips' and more).
/// </summary>
public sealed record EvalReport(
    IReadOnlyList<EvalFigure> Figures,
    IReadOnlyList<ClipResult> Clips,
    IReadOnlyList<GuidanceResult> GuidancePairs,
    int Frames,
    int Steps,
    IReadOnlyList<int> StructureLevels,
    int StructureLevel,
    double Guidance,
    double TemporalGuidance,
    GuidanceForm GuidanceForm,
    double Seconds)
{
    /// <summary>A markdown table of the figures, ready for a model card.</summary>
    public string ToMarkdown()
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"{Clips.Count} held-out clips of {Frames} frames ({GuidancePairs.Count} for guidance), {Steps} steps; defaults t_s = {StructureLevel}, ω = {Guidance}, ω_t = {TemporalGuidance}, guidance form {GuidanceForm.ToString().ToLowerInvariant()}.");
        s.AppendLine();
        s.AppendLine("| figure | value | bar | result |");
        s.AppendLine("| --- | --- | --- | --- |");
        foreach (var f in Figures) s.AppendLine(CultureInfo.InvariantCulture, $"| {f.Name} | {Format(f.Value)} | {f.Bar} | {f.Result} |");
        return s.ToString();
    }

    /// <summary>Three decimals; values too small for them (a gain near zero) in scientific notation.</summary>
    public static string Format(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(value != 0 && Math.Abs(value) < 1e-3 ? "0.00e+0" : "0.000", CultureInfo.InvariantCulture);
}
