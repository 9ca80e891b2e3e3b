namespace Vidiff.Synthetic;

/// <summary>Progress of a <see cref="SyntheticWriter.Write"/> run: clips and stills written or found complete, frames rendered.</summary>
public sealed record SynthSummary(int Total, int Written, int Skipped, long FramesRendered, TimeSpan Elapsed)
{
    public double FramesPerSecond => Elapsed.TotalSeconds > 0 ? FramesRendered / Elapsed.TotalSeconds : 0;
}
