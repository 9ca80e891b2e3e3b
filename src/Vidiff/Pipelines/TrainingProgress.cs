namespace Vidiff.Pipelines;

/// <summary>
/// What a training stage reports after each step, for progress bars and logs. A preparation phase (the UNet stage's
/// input cache) reports its own units with a NaN loss.
/// </summary>
public sealed record TrainingProgress(string Stage, long Step, long Steps, double Loss, double LearningRate, TimeSpan Remaining);
