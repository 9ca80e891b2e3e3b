namespace Vidiff.Runtime;

/// <summary>The precision the networks run in (`--dtype`); <see cref="PrecisionChoice"/> settles <see cref="Auto"/>.</summary>
public enum Precision
{
    /// <summary>bf16 where this CPU multiplies it fast, fp32 elsewhere.</summary>
    Auto,
    Bf16,
    Fp32,
}
