namespace Vidiff.Pipelines;

/// <summary>What a training stage reports after each step, for progress bars and logs.</summary>
public sealed record TrainingProgress(string Stage, long Step, long Steps, double Loss, double LearningRate, TimeSpan Remaining);
