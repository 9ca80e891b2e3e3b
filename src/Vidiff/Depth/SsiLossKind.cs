namespace Vidiff.Depth;

/// <summary>Data term of <see cref="ScaleShiftInvariantLoss"/>: squared error, or absolute error with the largest residuals
/// dropped (robust to wrong ground truth, Ranftl et al.'s trimmed loss).</summary>
public enum SsiLossKind
{
    Mse,
    TrimmedAbsolute,
}
