using static TorchSharp.torch;

namespace Vidiff.Checkpoints;

/// <summary>One tensor's header entry: dtype, shape and its byte range within the data section.</summary>
public sealed record SafetensorsEntry(ScalarType DType, long[] Shape, long Begin, long End);
