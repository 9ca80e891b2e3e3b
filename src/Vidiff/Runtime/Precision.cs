namespace Vidiff.Runtime;

/// <summary>The precision the networks run in (`--dtype`); <see cref="PrecisionChoice"/> settles <see cref="Auto"/> for the device.</summary>
public enum Precision
{
    /// <summary>A half type where the device multiplies it fast, fp32 elsewhere.</summary>
    Auto,
    Bf16,

    /// <summary>CUDA only: libtorch's CPU kernels are not built for it.</summary>
    Fp16,
    Fp32,
}
