using Vidiff.Synthetic;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Vidiff.Evaluation;

/// <summary>
/// <see cref="ColourNaming"/> pixel by pixel, read against the renderer's true masks, so a content figure (paper §4)
/// sees the object's shape and not only its mean hue: a blob of the right colour about where the object is names the
/// right colour on average, but leaves object pixels in other colours and paints pixels outside the object.
/// Colours are given per object: <c>colours[k]</c> is asked of Scene.Objects[k] (mask id k + 1); null leaves that
/// object out (<see cref="Own"/>).
/// </summary>
public static class PixelColours
{
    /// <summary>Index into <see cref="ColourNaming.Chromatic"/> of each pixel's nearest hue, −1 for a grey pixel (chroma
    /// below <see cref="ColourNaming.MinChroma"/>). Frames [F, 3, H, W] in [−1, 1] → [F, H, W] int64.</summary>
    public static Tensor Names(Tensor frames)
    {
        using var scope = NewDisposeScope();
        var rgb = (frames.to(float64) + 1) / 2;
        var (r, g, b) = (rgb[.., 0], rgb[.., 1], rgb[.., 2]);
        var (oa, ob) = (r - (g + b) / 2, Math.Sqrt(3) / 2 * (g - b));
        var hue = atan2(ob, oa).rad2deg().remainder(360).unsqueeze(-1);
        var palette = tensor(ColourNaming.Chromatic.Select(c => ColourNaming.Hue(c.R, c.G, c.B)).ToArray());
        var d = (hue - palette).abs().remainder(360);
        var nearest = minimum(d, 360 - d).argmin(-1);
        var grey = (oa.square() + ob.square()).sqrt().lt(ColourNaming.MinChroma);
        return nearest.masked_fill(grey, -1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The input's own colours, asked of itself as a reference row: each object's colour if it is chromatic and no
    /// floor, wall or sky of the scene is named the same hue (the IoU counts the whole frame, so a blue ball under a
    /// blue sky would score the sky); null leaves the object out.
    /// </summary>
    public static string?[] Own(Scene scene)
    {
        static string? Named(string name)
        {
            var c = Palette.Get(name);
            return ColourNaming.Nearest(c.R, c.G, c.B);
        }
        var surfaces = new[] { Named(scene.Floor.Color), Named(scene.Background.Color) };
        return [.. scene.Objects.Select(o => ColourNaming.IsChromatic(o.Color) && !surfaces.Contains(o.Color) ? o.Color : null)];
    }

    /// <summary>The index of each mask pixel's asked colour, −1 on the background and on objects asked nothing. [F, H, W] int64.</summary>
    public static Tensor Asked(Tensor masks, IReadOnlyList<string?> colours)
    {
        using var scope = NewDisposeScope();
        var lookup = new long[colours.Count + 1];
        lookup[0] = -1;
        for (int k = 0; k < colours.Count; k++) lookup[k + 1] = colours[k] is string c ? Index(c) : -1;
        long max = masks.max().item<long>();
        if (max > colours.Count) throw new ArgumentException($"masks hold object id {max}; {colours.Count} object colours were given.", nameof(masks));
        return tensor(lookup)[masks.to(int64)].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Share of the object pixels, eroded by one pixel, whose hue names their asked colour (grey pixels miss). Erosion
    /// keeps only pixels whose 8 neighbours belong to the same object (the frame's edge does not erode), so the
    /// anti-aliased rim, half object and half floor, is not scored. NaN when no asked object pixel is left.
    /// </summary>
    /// <param name="frames">[F, 3, H, W] in [−1, 1].</param>
    /// <param name="masks">[F, H, W] object ids (0 background, k + 1 Scene.Objects[k]).</param>
    public static double ObjectShare(Tensor frames, Tensor masks, IReadOnlyList<string?> colours)
    {
        using var scope = NewDisposeScope();
        var asked = Asked(masks, colours);
        var region = asked.ge(0).logical_and(Interior(masks));
        return Mean(Names(frames).eq(asked), region);
    }

    /// <summary>
    /// Intersection over union, summed over the clip's frames, of the pixels named an asked colour (anywhere in the
    /// frame) and the true mask of the objects asked that colour (not eroded), pooled over the asked colours:
    /// Σ_c |P_c ∩ M_c| / Σ_c |P_c ∪ M_c|. With one asked colour it is the plain IoU. NaN when nothing is asked.
    /// </summary>
    public static double ObjectIoU(Tensor frames, Tensor masks, IReadOnlyList<string?> colours)
    {
        using var scope = NewDisposeScope();
        var asked = Asked(masks, colours);
        var names = Names(frames);
        var wanted = colours.OfType<string>().Select(Index).Distinct().ToArray();
        if (wanted.Length == 0) return double.NaN;
        double both = names.eq(asked).logical_and(asked.ge(0)).sum().item<long>();
        double named = wanted.Sum(c => names.eq(c).sum().item<long>()), inMask = asked.ge(0).sum().item<long>();
        double union = named + inMask - both;
        return union == 0 ? double.NaN : both / union;
    }

    /// <summary>Share of <paramref name="region"/> [F, H, W] whose pixels name <paramref name="colour"/>; NaN for an empty region.</summary>
    public static double Share(Tensor frames, Tensor region, string colour)
    {
        using var scope = NewDisposeScope();
        return Mean(Names(frames).eq(Index(colour)), region.to(ScalarType.Bool));
    }

    /// <summary>Pixels whose 8 neighbours (within the frame) carry the same mask id: the mask eroded by one pixel. [F, H, W] bool.</summary>
    public static Tensor Interior(Tensor masks)
    {
        using var scope = NewDisposeScope();
        var m = masks.to(float64).unsqueeze(1);
        var padded = F.pad(m, [1, 1, 1, 1], TorchSharp.PaddingModes.Replicate);
        long h = m.shape[2], w = m.shape[3];
        var same = ones_like(m, ScalarType.Bool);
        for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++)
                same = same.logical_and(padded[.., .., dy..(int)(dy + h), dx..(int)(dx + w)].eq(m));
        return same.logical_and(m.ne(0)).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>The pixels just outside the objects (8-neighbour dilation of mask ≠ 0 minus the mask): a 1-pixel outline
    /// that leaves every object pixel visible. [F, H, W] bool.</summary>
    public static Tensor Outline(Tensor masks)
    {
        using var scope = NewDisposeScope();
        var m = masks.ne(0).to(float32).unsqueeze(1);
        var grown = F.max_pool2d(m, 3, stride: 1, padding: 1);
        return grown.gt(m).squeeze(1).MoveToOuterDisposeScope();
    }

    static long Index(string colour)
    {
        for (int i = 0; i < ColourNaming.Chromatic.Count; i++)
            if (ColourNaming.Chromatic[i].Name == colour) return i;
        throw new ArgumentException($"colour '{colour}' has no hue; expected one of {string.Join(", ", ColourNaming.Chromatic.Select(c => c.Name))}.", nameof(colour));
    }

    static double Mean(Tensor hit, Tensor region)
    {
        double count = region.sum().item<long>();
        return count == 0 ? double.NaN : hit.logical_and(region).sum().item<long>() / count;
    }
}
