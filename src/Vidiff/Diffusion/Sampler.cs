using TorchSharp;
using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// The reverse-process loop shared by the samplers (paper §1): at each timestep ask the model, turn its output into
/// (z_0, ε) predictions, and let the concrete sampler take the step to the next timestep.
/// </summary>
public abstract class Sampler(NoiseSchedule schedule, Parameterization parameterization)
{
    public NoiseSchedule Schedule { get; } = schedule;
    public Parameterization Parameterization { get; } = parameterization;

    /// <summary>
    /// "Trailing" spacing (diffusers' timestep_spacing="trailing"; Lin et al. 2024): t_i = round(T − i·T/steps) − 1, so the
    /// first step starts at T − 1, where the training noise ends, and the last step lands on clean data (ᾱ = 1) rather
    /// than stopping at a small noise level as "leading" spacing does. Descending, <paramref name="steps"/> entries.
    /// </summary>
    public long[] Timesteps(int steps)
    {
        if (steps < 1 || steps > Schedule.T)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Sampling steps must lie in [1, {Schedule.T}].");
        return Enumerable.Range(0, steps)
            .Select(i => (long)Math.Round(Schedule.T - i * (double)Schedule.T / steps, MidpointRounding.ToEven) - 1).ToArray();
    }

    /// <summary>
    /// Runs the reverse process from <paramref name="noise"/> (z_T ~ N(0, I)) to z_0. <paramref name="onStep"/> gets
    /// (steps done, total steps) after each step; cancellation is checked before each model call.
    /// </summary>
    public Tensor Sample(Denoiser model, Tensor noise, int steps, Generator? generator = null, Action<int, int>? onStep = null, CancellationToken cancel = default)
    {
        var timesteps = Timesteps(steps);
        using var noGrad = no_grad();
        var z = noise.alias();
        Previous? previous = null;
        try
        {
            for (int i = 0; i < steps; i++)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                long t = timesteps[i], tNext = i + 1 < steps ? timesteps[i + 1] : -1;
                using var tBatch = full(z.shape[0], t, int64, z.device);
                var output = model(z, tBatch);
                var (alpha, sigma) = (Scalar(Math.Sqrt(AlphaBar(t)), z), Scalar(Math.Sqrt(1 - AlphaBar(t)), z));
                var x0 = Prediction.X0(Parameterization, output, z, alpha, sigma);
                var eps = Prediction.Epsilon(Parameterization, output, z, alpha, sigma);
                var next = Step(z, x0, eps, t, tNext, previous, generator).MoveToOuterDisposeScope();
                x0.MoveToOuterDisposeScope();
                z.Dispose();
                previous?.X0.Dispose();
                (z, previous) = (next, new Previous(x0, t));
                onStep?.Invoke(i + 1, steps);
            }
        }
        catch
        {
            z.Dispose();
            throw;
        }
        finally
        {
            previous?.X0.Dispose();
        }
        return z;
    }

    /// <summary>The z_0 prediction made at the previous (noisier) timestep, for multistep solvers.</summary>
    protected sealed record Previous(Tensor X0, long T);

    /// <summary>One step from z_t to z at <paramref name="tNext"/>; tNext = −1 means clean data (ᾱ = 1).</summary>
    protected abstract Tensor Step(Tensor zt, Tensor x0, Tensor eps, long t, long tNext, Previous? previous, Generator? generator);

    protected double AlphaBar(long t) => t < 0 ? 1.0 : Schedule.AlphasCumprod[(int)t];

    protected static Tensor Scalar(double value, Tensor like) => tensor(value, like.dtype, like.device);

    /// <summary>Drawn on the CPU, whose generator gives the same numbers everywhere, and moved to <paramref name="like"/>'s device.</summary>
    protected static Tensor Noise(Tensor like, Generator? generator)
    {
        using var scope = NewDisposeScope();
        return randn(like.shape, like.dtype, generator: generator).to(like.device).MoveToOuterDisposeScope();
    }
}
