using Vidiff.Checkpoints;
using Vidiff.Clip;
using Vidiff.Diffusion;
using Vidiff.Structure;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Evaluation;

/// <summary>
/// What structure is worth to the UNet (paper §3): at pure noise (t = T − 1, where sampling starts) structure is the
/// only source of the sample's layout, so a UNet that reads it predicts far better with a frame's own structure than
/// with another frame's. Worth = 1 − own / other, both the unweighted L2 error in the model's parameterization as
/// DiffusionLoss computes it (for v-prediction at ᾱ ≈ 1e-9 that is the z_0 error), from the same noise and content.
/// One definition for the UNet stage's held-out figure (training batches: random t_s, content dropped 10 % of the
/// time) and for <c>vidiff eval</c> (<see cref="Measure"/>: single frames of held-out clips at one t_s, every frame's
/// own content).
/// </summary>
public static class StructureWorth
{
    /// <summary>Pure noise: the first step of sampling.</summary>
    public static long Timestep(NoiseSchedule schedule) => schedule.T - 1;

    /// <summary>Another sample's structure for every sample: the previous one's in the batch (a batch of one keeps its own).</summary>
    public static Tensor Swapped(Tensor structure) => structure.roll(1, 0);

    public static double Of(double own, double other) => 1 - own / other;

    /// <summary>The mean pure-noise error of a batch: z_0 [N, C, F, h, w], structure [N, Cs, F, h, w], content [N, K, E], ε like z_0.</summary>
    public static double PureNoiseError(SpatioTemporalUnet unet, NoiseSchedule schedule, Parameterization parameterization, Tensor z0, Tensor structure, Tensor content, Tensor eps)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var dtype = unet.parameters().First().dtype;
        var t = full([z0.shape[0]], Timestep(schedule), ScalarType.Int64);
        var zt = schedule.AddNoise(z0, eps, t);
        var output = unet.forward(zt.to(dtype), structure.to(dtype), t, content.to(dtype)).to(ScalarType.Float32);
        return DiffusionLoss.Compute(schedule, parameterization, output, z0, eps, t).item<float>();
    }

    /// <summary>
    /// Own and other error of the model's UNet on every frame of <paramref name="clips"/> (each [F, 3, H, W] in [−1, 1],
    /// one F for all) as single frames. As the UNet stage prepares them (UnetInputs): latents are the autoencoder's
    /// posterior mean × the scaling factor, content the frame's own normalised CLIP image embedding, structure the
    /// depth model's estimate of the frame, encoded alone at level <paramref name="ts"/>. Frames are ordered frame by
    /// frame across clips, so the swapped structure is the same frame of the previous clip: another scene's. Each clip's
    /// noise comes from its <c>Seed</c>, so a rerun gives the same figures. Other (and worth) are NaN for a single clip.
    /// </summary>
    public static (double Own, double Other) Measure(ModelFolder model, IReadOnlyList<(Tensor Frames, int Seed)> clips, int ts, int chunk = 16)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = model.Config;
        var (h, w) = config.LatentSize;
        var z0 = new List<Tensor>();
        var structure = new List<Tensor>();
        var content = new List<Tensor>();
        var eps = new List<Tensor>();
        foreach (var (frames, seed) in clips)
        {
            var x = frames.to(ScalarType.Float32);
            z0.Add((model.Autoencoder.Encode(x).mean * config.Autoencoder.ScalingFactor).unsqueeze(2));
            var disparity = model.Depth.Estimate(x).to(ScalarType.Float32);
            structure.Add(cat(Enumerable.Range(0, (int)x.shape[0]).Select(f => StructureEncoder.Encode(disparity.narrow(0, f, 1), ts, h, w)).ToList(), 0));
            content.Add(ClipModel.Normalize(model.Clip!.EncodeImage(x).to(ScalarType.Float32)).unsqueeze(1));
            using var generator = new Generator((ulong)seed);
            eps.Add(randn(z0[^1].shape, generator: generator));
        }
        // [clips, F, ...] → [F · clips, ...]: sample f · clips + i is frame f of clip i.
        Tensor FrameMajor(List<Tensor> perClip) => stack(perClip, 1).flatten(0, 1);
        var (allZ0, allStructure, allContent, allEps) = (FrameMajor(z0), FrameMajor(structure), FrameMajor(content), FrameMajor(eps));
        var other = Swapped(allStructure);
        var schedule = config.Schedule.Create();
        double Error(Tensor s)
        {
            double sum = 0;
            long n = allZ0.shape[0];
            for (long start = 0; start < n; start += chunk)
            {
                long size = Math.Min(chunk, n - start);
                sum += size * PureNoiseError(model.Unet, schedule, config.Parameterization, allZ0.narrow(0, start, size), s.narrow(0, start, size),
                    allContent.narrow(0, start, size), allEps.narrow(0, start, size));
            }
            return sum / n;
        }
        return (Error(allStructure), clips.Count < 2 ? double.NaN : Error(other));
    }
}
