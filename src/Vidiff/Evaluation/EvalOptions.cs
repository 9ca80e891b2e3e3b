using Vidiff.Checkpoints;

namespace Vidiff.Evaluation;

/// <summary>
/// What an evaluation measures (issue 5 §4): <paramref name="Frames"/> frames of each held-out clip, edited with
/// <paramref name="Steps"/> sampler steps (null: the model's), structure swept over <paramref name="StructureLevels"/>
/// (null: 0..T_s). Edit seeds are the clips' scene seeds, so a run is reproducible. <paramref name="Clips"/> clips get every
/// edit; the guidance figure reads at least <paramref name="GuidanceClips"/>, the clips past those edited only at ω = 1 and
/// the default ω, because its per-clip spread is of the order of the effect (standard deviation 0.115 of the gain over 32
/// validation clips of the mini model, against a mean of 0.019), which 8 clips cannot resolve.
/// </summary>
public sealed record EvalOptions(int Frames = 16, int? Steps = null, IReadOnlyList<int>? StructureLevels = null, int Clips = 8, int GuidanceClips = 32)
{
    /// <summary>How many held-out clips the run needs: every edit on the first <see cref="Clips"/>, guidance on all.</summary>
    public int TotalClips => Math.Max(Clips, GuidanceClips);

    /// <summary>The speed figure's edit: 16 frames at the model's size, both guidances; its bar holds at 20 steps (issue 5 §4).</summary>
    public const int SpeedFrames = 16, SpeedSteps = 20;

    /// <summary>Bars of issue 5 §4.</summary>
    public const double MaxAbsRel = 0.15, MinTextHits = 0.80, MinImageHits = 0.70, MaxEditSeconds = 30;

    /// <summary>Bars of issue 17 §1, read pixel by pixel against the true masks, on the text edits at the default
    /// settings: object IoU, object pixels in the asked colour (eroded mask), floor pixels in the asked colour, and what
    /// structure is worth to the UNet at pure noise (<see cref="StructureWorth"/>).</summary>
    public const double MinObjectIoU = 0.65, MinObjectShare = 0.85, MinFloorShare = 0.90, MinStructureWorth = 0.70;

    /// <summary>The structure levels to sweep for <paramref name="config"/>, in order; checked (they must hold 0, the structure bar).</summary>
    public int[] LevelsFor(ModelConfig config)
    {
        var levels = (StructureLevels ?? Enumerable.Range(0, config.StructureLevels + 1).ToArray()).Distinct().Order().ToArray();
        if (levels.Length == 0 || levels[0] != 0 || levels[^1] > config.StructureLevels)
            throw new ArgumentException($"--ts levels {string.Join(",", levels)} must include 0 (the structure bar) and lie in 0..{config.StructureLevels}.");
        return levels;
    }
}
