using Vidiff.Synthetic;
using static TorchSharp.torch;

namespace Vidiff.Evaluation;

/// <summary>
/// The floor's pixels in a rendered clip. Masks give 0 to the floor and the wall or sky alike, so the floor is read
/// from the geometry clip.json keeps: a background pixel is floor when its true depth is where the pixel's centre ray
/// (built as SceneRenderer builds it) meets the plane y = 0.
/// </summary>
public static class FloorRegion
{
    /// <summary>Relative depth mismatch still taken as the floor: the 16-bit depth PNGs hold depth to 1/65535 of the clip's range.</summary>
    const double Tolerance = 2e-3;

    /// <param name="info">The clip's description (camera pose per frame).</param>
    /// <param name="depth">True depth [F, 1, H, W] in metres, of the clip's first F frames.</param>
    /// <param name="masks">Object ids [F, H, W].</param>
    /// <returns>[F, H, W] bool.</returns>
    public static Tensor Of(ClipInfo info, Tensor depth, Tensor masks)
    {
        int frames = (int)depth.shape[0], size = info.Size;
        if (depth.shape[2] != size || depth.shape[3] != size || frames > info.Cameras.Count)
            throw new ArgumentException($"Depth [{string.Join(", ", depth.shape)}] does not fit clip {info.Name} ({info.Cameras.Count} frames of {size}×{size}).", nameof(depth));
        var d = depth.to(float64).contiguous().data<double>().ToArray();
        var m = masks.to(int64).contiguous().data<long>().ToArray();
        var floor = new bool[d.Length];
        for (int f = 0; f < frames; f++)
        {
            var pose = info.Cameras[f];
            var eye = new Vec3(pose.Position[0], pose.Position[1], pose.Position[2]);
            var forward = (new Vec3(pose.Target[0], pose.Target[1], pose.Target[2]) - eye).Normalized;
            var right = forward.Cross(new Vec3(0, 1, 0)).Normalized;
            var up = right.Cross(forward);
            double tanHalf = Math.Tan(pose.FieldOfView * Math.PI / 360);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int i = (f * size + y) * size + x;
                    var ray = (forward + right * ((2 * (x + 0.5) / size - 1) * tanHalf) + up * ((1 - 2 * (y + 0.5) / size) * tanHalf)).Normalized;
                    if (m[i] != 0 || ray.Y >= 0) continue;
                    double z = -eye.Y / ray.Y * ray.Dot(forward);
                    floor[i] = z < SceneRenderer.FarDepth && Math.Abs(z - d[i]) <= Tolerance * z;
                }
        }
        return tensor(floor, [frames, size, size]);
    }
}
