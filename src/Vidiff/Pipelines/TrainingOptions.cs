using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Vidiff.Pipelines;

/// <summary>Settings every training stage shares. <see cref="Minutes"/> bounds this run's wall time; a later run resumes.
/// <see cref="Device"/> (the CPU if null) holds the networks and each batch; the data set stays in CPU memory. It is not
/// part of a checkpoint's state: a run may continue on another device.</summary>
public sealed record TrainingOptions(
    int Steps,
    int BatchSize = 16,
    double LearningRate = 2e-4,
    int WarmupSteps = 100,
    double WeightDecay = 0.0,
    double GradientClip = 1.0,
    double EmaDecay = 0.999,
    int CheckpointEvery = 250,
    int LogEvery = 10,
    bool Bf16 = false,
    double? Minutes = null,
    long Seed = 0,
    [property: JsonIgnore] Device? Device = null);
