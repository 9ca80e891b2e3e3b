namespace Vidiff.Evaluation;

/// <summary>Edits done (fractional within the current one) of <see cref="Total"/>, and what is running.</summary>
public sealed record EvalProgress(double Done, int Total, string Task);
