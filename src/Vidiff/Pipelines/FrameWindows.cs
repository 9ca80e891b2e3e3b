namespace Vidiff.Pipelines;

/// <summary>
/// Cuts a clip longer than the model's window into overlapping windows. Each window gets per-frame blend weights
/// that ramp across overlaps; the weights of all windows sum to one at every frame, so averaging the windows'
/// predictions at every denoising step (rather than stitching finished windows) leaves no seam.
/// </summary>
public sealed record FrameWindows(int Frames, IReadOnlyList<FrameWindows.Window> Windows)
{
    public sealed record Window(int Start, int Length, float[] Weights);

    public static FrameWindows Plan(int frames, int window, int overlap)
    {
        if (frames < 1) throw new ArgumentOutOfRangeException(nameof(frames), frames, "a clip needs at least one frame");
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window), window, "the window must hold at least one frame");
        if (overlap < 0 || overlap >= window) throw new ArgumentOutOfRangeException(nameof(overlap), overlap, $"the overlap must be in [0, {window - 1}]");
        if (frames <= window) return new(frames, [new Window(0, frames, Enumerable.Repeat(1f, frames).ToArray())]);

        // Evenly spaced starts with at least the requested overlap; the last window ends on the last frame.
        int count = (int)Math.Ceiling((frames - overlap) / (double)(window - overlap));
        var starts = Enumerable.Range(0, count).Select(i => (int)Math.Round(i * (frames - window) / (double)(count - 1))).ToArray();

        var raw = starts.Select(s => Enumerable.Range(0, window).Select(i => Ramp(s + i, s, window, starts)).ToArray()).ToArray();
        var total = new double[frames];
        for (int w = 0; w < count; w++)
            for (int i = 0; i < window; i++) total[starts[w] + i] += raw[w][i];
        var windows = starts.Select((s, w) => new Window(s, window, raw[w].Select((r, i) => (float)(r / total[s + i])).ToArray())).ToList();
        return new(frames, windows);
    }

    /// <summary>
    /// The anchor frames of cross-frame attention in window <paramref name="w"/>, as indices within it: its first frame,
    /// and after the first window also the previous window's last frame, which the overlap puts in this window. The
    /// previous window rendered that frame anchored to its own first, so the look is handed on along the clip. Windows
    /// without overlap share no frame and anchor to their first alone.
    /// </summary>
    public int[] Anchors(int w)
    {
        int previousLast = w == 0 ? -1 : Windows[w - 1].Start + Windows[w - 1].Length - 1 - Windows[w].Start;
        return previousLast > 0 ? [0, previousLast] : [0];
    }

    // Weight falls linearly towards a window's edge where a neighbour overlaps it; edges of the clip keep full weight.
    static double Ramp(int frame, int start, int window, int[] starts)
    {
        int end = start + window;
        bool leftShared = starts.Any(s => s < start && s + window > start);
        bool rightShared = starts.Any(s => s > start && s < end);
        double fromLeft = leftShared ? frame - start + 1 : double.MaxValue;
        double fromRight = rightShared ? end - frame : double.MaxValue;
        return Math.Min(1.0, Math.Min(fromLeft, fromRight) / (window / 2.0 + 1));
    }
}
