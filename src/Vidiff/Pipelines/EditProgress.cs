namespace Vidiff.Pipelines;

/// <summary>
/// Where an edit is: the phase, frames done in it (depth, decode), and during denoising the step and window.
/// <see cref="Remaining"/> extrapolates the denoising rate so far (null until known).
/// </summary>
public sealed record EditProgress(EditProgress.Phase Stage, int Frames, int Step, int Steps, int Window, int Windows, TimeSpan Elapsed, TimeSpan? Remaining)
{
    public enum Phase
    {
        Structure,
        Content,
        Denoise,
        Decode,
    }
}
