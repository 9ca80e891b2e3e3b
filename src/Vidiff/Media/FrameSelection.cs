using System.Globalization;

namespace Vidiff.Media;

/// <summary>Which frames of the input to use: a time range, then every N-th frame or a target rate, then at most M frames.</summary>
public sealed record FrameSelection(double? Start = null, double? Duration = null, int? Every = null, double? Fps = null, int? MaxFrames = null)
{
    public static FrameSelection All { get; } = new();

    /// <summary>
    /// ffmpeg arguments placed before -i: the time range (input seeking, frame-accurate when decoding). A duration
    /// shorter than one frame holds the frame at the start; ffmpeg, told less than a frame, would give them all.
    /// </summary>
    public IEnumerable<string> InputArguments(VideoProbe probe)
    {
        if (Start is double s) yield return "-ss";
        if (Start is double s2) yield return Ffmpeg.Decimal(s2);
        if (Duration is double d) yield return "-t";
        if (Duration is double d2) yield return Ffmpeg.Decimal(Math.Max(d2, 1 / probe.FrameRate));
    }

    /// <summary>The filters that thin the frames out.</summary>
    public string Filter => Every is int n ? string.Create(CultureInfo.InvariantCulture, $"select=not(mod(n\\,{n})),setpts=N/FRAME_RATE/TB")
        : Fps is double f ? $"fps={Ffmpeg.Decimal(f)}"
        : "";

    public double FrameRate(VideoProbe probe) => Every is int n ? probe.FrameRate / n : Fps ?? probe.FrameRate;

    /// <summary>The exact number of frames this selection gives (ffmpeg runs the selection once to count).</summary>
    public int Count(VideoProbe probe)
    {
        int count;
        if (this with { MaxFrames = null } == All) count = probe.FrameCount;
        else
        {
            using var input = new MediaInput(probe, this);
            count = VideoProbe.CountFrames(input.Arguments, Filter, probe.Path, (double)probe.FrameCount * probe.Width * probe.Height);
        }
        return MaxFrames is int m ? Math.Min(m, count) : count;
    }
}
