using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Evaluation;

/// <summary>
/// The ideal result of a colour edit, which the procedural world can render: the clip's scene with the asked colours
/// (<see cref="ColourPrompts.WithObjects"/>, <see cref="ColourPrompts.WithFloor"/>) and the same camera, motion and
/// light, at the clip's own frame times. Structure untouched, content exactly as asked: what a Gen-1 edit (paper §3,
/// §4) at full structure fidelity should give, so an edit's PSNR and SSIM against it say how far it falls short.
/// </summary>
public static class PerfectEdit
{
    /// <summary>The first <paramref name="frames"/> frames of the clip <paramref name="info"/> describes, drawn from
    /// <paramref name="scene"/>, as <see cref="SyntheticWriter"/> drew them: [F, 3, H, W] in [−1, 1].</summary>
    public static Tensor Render(ClipInfo info, Scene scene, int frames, int antiAliasing)
    {
        if (frames < 1 || frames > info.Frames)
            throw new ArgumentException($"clip {info.Name} has {info.Frames} frames; asked to render {frames}.", nameof(frames));
        var options = new RenderOptions(info.Size, antiAliasing);
        var rgb = Enumerable.Range(0, frames).SelectMany(f => SceneRenderer.Render(scene, SceneMotion.TimeOf(f, info.Frames), options).Rgb).ToArray();
        return (tensor(rgb, [frames, 3, info.Size, info.Size]) * 2 - 1).to(float32);
    }
}
