namespace Vidiff.Evaluation;

/// <summary>One measured figure with its bar; <see cref="Pass"/> is null for figures reported without a bar.</summary>
public sealed record EvalFigure(string Name, double Value, string Bar, bool? Pass)
{
    public string Result => Pass switch { true => "PASS", false => "MISS", null => "" };
}
