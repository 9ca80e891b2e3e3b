using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Structure;

/// <summary>
/// The structure representation s of paper §3: per-clip normalised depth, with detail removed by t_s steps of the
/// information-obscuring process, at latent resolution, ready to be concatenated to z_t.
/// </summary>
public static class StructureEncoder
{
    /// <summary>T_s: t_s ranges over 0..MaxLevel (paper §3).</summary>
    public const int MaxLevel = 7;

    /// <summary>Depth [F, 1, H, W] → s [1, 1, F, h, w].</summary>
    public static Tensor Encode(Tensor depth, int ts, long h, long w)
    {
        if (depth.dim() != 4 || depth.shape[1] != 1)
            throw new ArgumentException($"Depth must have shape [F, 1, H, W], got [{string.Join(", ", depth.shape)}].", nameof(depth));
        CheckLevel(ts);
        using var scope = NewDisposeScope();
        var normalized = Normalize(depth);
        var obscured = Obscure(normalized, ts);
        var latent = ToLatent(obscured, h, w);
        return latent.permute(1, 0, 2, 3).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>Per clip to [−1, 1] (paper §3): depth estimators give relative depth of arbitrary scale and offset. A
    /// constant clip carries no structure and maps to 0.</summary>
    public static Tensor Normalize(Tensor depth)
    {
        using var scope = NewDisposeScope();
        var min = depth.min();
        var range = depth.max() - min;
        var scaled = 2 * (depth - min) / range.clamp(min: 1e-12) - 1;
        return where(range > 0, scaled, zeros_like(depth)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The information-obscuring process (paper §3): t_s = 0 is the depth itself; level t_s ≥ 1 is a Gaussian blur with
    /// σ = min(H, W) · 2^t_s / 512 pixels, so the width doubles per step and reaches a quarter of the image at T_s.
    /// Why this operator: paper.md's repeated downsample/bicubic-upsample runs out of pixels at 64 px (seven halvings
    /// leave half a pixel) and bicubic overshoot can add detail. A spatial kernel fails too: at σ = 0.2 px its taps round
    /// to the identity in float32, and at σ = 16 px it must be cut to fit the reflect padding, and the cut edges ring.
    /// So the blur is applied exactly, as gain exp(−σ²ω²/2) on the spectrum of the mirrored image (mirror boundaries:
    /// zero padding would draw a dark frame whose edge energy grows with σ). That is diagonal in the cosine basis with
    /// gains falling strictly in σ at every nonzero frequency, so detail falls strictly with t_s at any image size, and
    /// the mean is kept. σ ∝ image size makes a level remove the same share of detail at every resolution. Acts on [.., H, W].
    /// </summary>
    public static Tensor Obscure(Tensor depth, int ts)
    {
        CheckLevel(ts);
        if (ts == 0) return depth.clone();
        using var scope = NewDisposeScope();
        double sigma = Math.Min(depth.shape[^2], depth.shape[^1]) * Math.Pow(2, ts) / 512;
        return Blur(Blur(depth, sigma, -1), sigma, -2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// To latent size by area averaging (each latent cell is the mean of the depth pixels it covers, the latent
    /// stride being the autoencoder's 8), so fine depth detail averages out instead of aliasing. [N, C, H, W].
    /// </summary>
    public static Tensor ToLatent(Tensor depth, long h, long w) =>
        F.interpolate(depth, [h, w], mode: InterpolationMode.Area);

    static Tensor Blur(Tensor x, double sigma, long dim)
    {
        long n = x.shape[x.dim() + dim];
        var mirrored = cat([x, x.flip(dim)], dim);
        var omega = 2 * Math.PI * fft.rfftfreq(2 * n, dtype: float64);
        var gain = (-0.5 * sigma * sigma * omega.square()).exp().to(x.dtype, x.device);
        if (dim == -2) gain = gain.unsqueeze(-1);
        var blurred = fft.irfft(fft.rfft(mirrored, dim: dim) * gain, 2 * n, dim: dim);
        return blurred.narrow(dim, 0, n);
    }

    static void CheckLevel(int ts)
    {
        if (ts < 0 || ts > MaxLevel)
            throw new ArgumentOutOfRangeException(nameof(ts), ts, $"Structure level t_s = {ts} is outside [0, {MaxLevel}].");
    }
}
