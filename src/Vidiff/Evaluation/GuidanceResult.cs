namespace Vidiff.Evaluation;

/// <summary>One clip's prompt consistency (paper §8) at the default ω and at ω = 1, from the same noise: one pair of the guidance figure.</summary>
public sealed record GuidanceResult(string Clip, int Seed, string Prompt, double PromptConsistency, double PromptConsistencyUnguided)
{
    public double Gain => PromptConsistency - PromptConsistencyUnguided;
}
