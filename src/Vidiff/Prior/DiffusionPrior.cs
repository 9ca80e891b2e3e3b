using static TorchSharp.torch;

namespace Vidiff.Prior;

/// <summary>
/// The unCLIP diffusion prior around a <see cref="PriorTransformer"/>: x0-prediction on a squaredcos_cap_v2 schedule,
/// sampled as diffusers' UnCLIPScheduler (fixed_small_log variance, x0 clipped to ±ClipSampleRange) with
/// classifier-free guidance against the empty prompt's text encoding.
/// </summary>
public sealed class DiffusionPrior : IPrior
{
    public PriorTransformer Model { get; }
    readonly Tensor nullEmbed, nullHidden, nullMask;
    readonly float[] betas, alphasCumprod;

    /// <param name="nullTextEmbed">[1, E] text embedding of the empty prompt.</param>
    /// <param name="nullTextHidden">[1, T, E] its hidden states.</param>
    /// <param name="nullTextMask">[1, T] its token mask (true on the start and end tokens); null means all tokens.</param>
    public DiffusionPrior(PriorTransformer model, Tensor nullTextEmbed, Tensor nullTextHidden, Tensor? nullTextMask = null)
    {
        Model = model;
        nullEmbed = nullTextEmbed.detach();
        nullHidden = nullTextHidden.detach();
        nullMask = (nullTextMask ?? ones(1, nullTextHidden.shape[1], dtype: @bool)).detach();
        (betas, alphasCumprod) = SquaredCosCapV2(model.Config.TrainTimesteps);
    }

    /// <summary>
    /// betas_for_alpha_bar with ᾱ(t) = cos²((t + 0.008)/1.008 · π/2) and β capped at 0.999; ᾱ is accumulated in
    /// float32, as torch.cumprod does upstream.
    /// </summary>
    static (float[] Betas, float[] AlphasCumprod) SquaredCosCapV2(int n)
    {
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        var b = new float[n];
        var a = new float[n];
        float prod = 1f;
        for (int i = 0; i < n; i++)
        {
            b[i] = (float)Math.Min(1 - AlphaBar((i + 1.0) / n) / AlphaBar((double)i / n), 0.999);
            prod *= 1f - b[i];
            a[i] = prod;
        }
        return (b, a);
    }

    /// <summary>UnCLIPScheduler.set_timesteps: round(i · (N−1)/(steps−1)), descending.</summary>
    public static int[] Timesteps(int trainSteps, int steps)
    {
        if (steps < 2) throw new ArgumentException($"The prior needs at least 2 sampling steps; {steps} given.", nameof(steps));
        double ratio = (trainSteps - 1) / (double)(steps - 1);
        return [.. Enumerable.Range(0, steps).Select(i => (int)Math.Round(i * ratio, MidpointRounding.ToEven)).Reverse()];
    }

    public Tensor Sample(Tensor textEmbed, Tensor textHidden, Generator? generator = null, Tensor? textMask = null)
    {
        var c = Model.Config;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long b = textEmbed.shape[0];
        var device = textEmbed.device;
        var mask = textMask ?? ones(b, textHidden.shape[1], dtype: @bool, device: device);
        bool guided = c.GuidanceScale != 1.0;
        // Classifier-free guidance (paper §5, here on the prior): one batch [unconditional; conditional].
        var embeds = guided ? cat([nullEmbed.to(device).expand(b, -1), textEmbed], 0) : textEmbed;
        var hidden = guided ? cat([nullHidden.to(device).expand(b, -1, -1), textHidden], 0) : textHidden;
        var masks = guided ? cat([nullMask.to(device).expand(b, -1), mask], 0) : mask;

        // Noise is drawn on the CPU, whose generator gives the same numbers everywhere, and moved.
        var x = randn([b, c.EmbeddingDim], generator: generator).to(device);
        var ts = Timesteps(c.TrainTimesteps, c.SamplingSteps);
        for (int i = 0; i < ts.Length; i++)
        {
            using var step = NewDisposeScope();
            int t = ts[i], prev = i + 1 < ts.Length ? ts[i + 1] : t - 1;
            var input = guided ? cat([x, x], 0) : x;
            var pred = Model.forward(input, tensor((long)t, device: device), embeds, hidden, masks);
            if (guided)
            {
                var parts = pred.chunk(2);
                pred = parts[0] + c.GuidanceScale * (parts[1] - parts[0]);
            }
            x = Step(pred, t, prev, x, generator).MoveToOuterDisposeScope();
        }
        return Model.Denormalize(x).MoveToOuterDisposeScope();
    }

    /// <summary>UnCLIPScheduler.step for prediction_type "sample": the posterior q(x_prev | x_t, x0) with fixed_small_log variance.</summary>
    Tensor Step(Tensor x0, int t, int prev, Tensor x, Generator? generator)
    {
        double aT = alphasCumprod[t], aPrev = prev >= 0 ? alphasCumprod[prev] : 1.0;
        double beta = prev == t - 1 ? betas[t] : 1 - aT / aPrev;
        double alpha = 1 - beta;
        x0 = x0.clamp(-Model.Config.ClipSampleRange, Model.Config.ClipSampleRange);
        var mean = Math.Sqrt(aPrev) * beta / (1 - aT) * x0 + Math.Sqrt(alpha) * (1 - aPrev) / (1 - aT) * x;
        if (t == 0) return mean;
        double variance = Math.Max((1 - aPrev) / (1 - aT) * beta, 1e-20);
        return mean + Math.Sqrt(variance) * randn(x.shape, generator: generator).to(x.device);
    }

    /// <summary>
    /// The prior's training objective: MSE between the predicted and true normalised image embedding (x0-prediction)
    /// at a uniformly drawn step; conditions are dropped to the null text for a <paramref name="dropFraction"/> of samples.
    /// </summary>
    public Tensor Loss(Tensor imageEmbed, Tensor textEmbed, Tensor textHidden, Tensor? textMask = null, double dropFraction = 0.1, Generator? generator = null)
    {
        long b = imageEmbed.shape[0];
        var device = imageEmbed.device;
        var x0 = Model.Normalize(imageEmbed);
        var t = randint(0, Model.Config.TrainTimesteps, [b], generator: generator).to(device);
        var abar = tensor(alphasCumprod, device: device).index_select(0, t).unsqueeze(1);
        var xt = abar.sqrt() * x0 + (1 - abar).sqrt() * randn(x0.shape, generator: generator).to(device);
        var drop = rand([b], generator: generator).to(device).lt(dropFraction);
        var embeds = where(drop.unsqueeze(1), nullEmbed.to(device).expand(b, -1), textEmbed);
        var hidden = where(drop.view(b, 1, 1), nullHidden.to(device).expand(b, -1, -1), textHidden);
        var mask = where(drop.unsqueeze(1), nullMask.to(device).expand(b, -1), textMask ?? ones(b, textHidden.shape[1], dtype: @bool, device: device));
        return nn.functional.mse_loss(Model.forward(xt, t, embeds, hidden, mask), x0);
    }
}
