using static TorchSharp.torch;

namespace Vidiff.Diffusion;

/// <summary>
/// The spatio-temporal network as guidance sees it (paper §2, §5): with <paramref name="perFrame"/> false it predicts all
/// frames jointly (m); with true, each frame on its own, temporal layers not mixing frames (m_π).
/// </summary>
public delegate Tensor VideoDenoiser(Tensor zt, Tensor t, Tensor content, bool perFrame);
