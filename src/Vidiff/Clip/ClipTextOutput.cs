using static TorchSharp.torch;

namespace Vidiff.Clip;

/// <summary>The text tower's outputs: per-token hidden states [B, T, D] and the projected text embedding [B, P].</summary>
public readonly record struct ClipTextOutput(Tensor LastHiddenState, Tensor TextEmbeds);
