using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// A model as the samplers see it: z_t [B, …] and timesteps t [B] (int64) to the output in the schedule's parameterization.
/// </summary>
public delegate Tensor Denoiser(Tensor zt, Tensor t);
