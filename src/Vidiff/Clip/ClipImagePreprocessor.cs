using static TorchSharp.torch;

namespace Vidiff.Clip;

/// <summary>
/// transformers' CLIPImageProcessor on our frame tensors: shortest side resized (bicubic, antialiased) to the image
/// size, centre crop, CLIP's per-channel mean/std normalisation.
/// </summary>
public static class ClipImagePreprocessor
{
    static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f];
    static readonly float[] Std = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <param name="frames">[N, 3, H, W] pixels in [-1, 1].</param>
    /// <param name="imageSize">The vision tower's input size S.</param>
    /// <returns>[N, 3, S, S] normalised pixels.</returns>
    public static Tensor Preprocess(Tensor frames, int imageSize)
    {
        if (frames.dim() != 4 || frames.shape[1] != 3)
            throw new ArgumentException($"Frames of shape [{string.Join(", ", frames.shape)}] given; expected [N, 3, H, W].", nameof(frames));
        using var scope = NewDisposeScope();
        long h = frames.shape[2], w = frames.shape[3];
        var x = (frames.to(float32) + 1) / 2;
        if (Math.Min(h, w) != imageSize)
        {
            // As transformers' get_resize_output_image_size: the long side is scaled and truncated.
            long nh = h <= w ? imageSize : (long)(imageSize * (double)h / w);
            long nw = h <= w ? (long)(imageSize * (double)w / h) : imageSize;
            x = nn.functional.interpolate(x, [nh, nw], mode: InterpolationMode.Bicubic, align_corners: false, antialias: true).clamp(0, 1);
            (h, w) = (nh, nw);
        }
        long top = (h - imageSize) / 2, left = (w - imageSize) / 2;
        x = x.narrow(2, top, imageSize).narrow(3, left, imageSize);
        var mean = tensor(Mean, device: x.device).view(1, 3, 1, 1);
        var std = tensor(Std, device: x.device).view(1, 3, 1, 1);
        return ((x - mean) / std).MoveToOuterDisposeScope();
    }
}
