using System.CommandLine;
using System.Globalization;
using Vidiff.Media;
using static TorchSharp.torch;

namespace Vidiff.Cli.Commands;

/// <summary>
/// Which input frames are used and how they are fitted to the model (issue 3 §1), shared by <c>vidiff edit</c> and
/// <c>vidiff depth</c>, and the limits beyond which an input is refused before any work.
/// </summary>
sealed class FrameOptions
{
    /// <summary>Inputs larger than this on either side are refused (decoding one frame of 8K is already ~100 MB of floats).</summary>
    public const int MaxInputSide = 7680;

    /// <summary>Frames an edit may have after selection (the clip's structure and latents stay in memory).</summary>
    public const int MaxFrames = 20_000;

    /// <summary>The side of the frames the model sees (--size).</summary>
    public const int MaxSize = 2048;

    /// <summary>--fps: beyond the rates of high-speed cameras, ffmpeg would only invent frames (1e9 of them hang it).</summary>
    public const double MaxFps = 240;

    /// <summary>--start and --duration: 10⁷ s (115 days) is past any video; ffmpeg counts time in int64 microseconds.</summary>
    public const double MaxSeconds = 1e7;

    readonly Option<string?> size = new("--size") { Description = "Frame size WxH the model sees (multiples of the latent stride); default the model's." };
    readonly Option<FrameFit> fit = new("--fit") { Description = "Fit frames to the size: crop (centre) or pad.", DefaultValueFactory = _ => FrameFit.Crop };
    readonly Option<double?> start = CommandOptions.Number<double>("--start", "Seconds into the input to start at.");
    readonly Option<double?> duration = CommandOptions.Number<double>("--duration", "Seconds of input to use.");
    readonly Option<int?> every = CommandOptions.Number<int>("--every", "Use every N-th frame.");
    readonly Option<double?> fps = CommandOptions.Number<double>("--fps", "Resample to this frame rate (instead of --every).");
    readonly Option<int?> maxFrames = CommandOptions.Number<int>("--max-frames", "Use at most this many frames.");

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { size, fit, start, duration, every, fps, maxFrames }) command.Add(option);
    }

    /// <summary>The options as given, checked against their ranges before any work.</summary>
    public Values Read(ParseResult parse)
    {
        var v = new Values(CommandOptions.ParseSize(parse.GetValue(size)), parse.GetValue(fit),
            parse.GetValue(start), parse.GetValue(duration), parse.GetValue(every), parse.GetValue(fps), parse.GetValue(maxFrames));
        v.Check();
        return v;
    }

    public sealed record Values((int Width, int Height)? Size, FrameFit Fit, double? Start, double? Duration, int? Every, double? Fps, int? MaxFrames)
    {
        /// <summary>Each value against its range, before any work.</summary>
        public void Check()
        {
            if (Every is int e && e < 1) throw new ArgumentException($"--every expects a positive integer, got {e}.");
            if (Every is not null && Fps is not null) throw new ArgumentException("Give at most one of --every and --fps.");
            if (Fps is double f && !(f > 0 && f <= MaxFps)) throw new ArgumentException($"--fps {f} is outside (0, {MaxFps}] frames per second.");
            if (MaxFrames is int m && m < 1) throw new ArgumentException($"--max-frames expects a positive integer, got {m}.");
            if (Start is double s && !(s >= 0 && s <= MaxSeconds)) throw new ArgumentException($"--start {s} is outside [0, {MaxSeconds:0}] seconds.");
            if (Duration is double d && !(d > 0 && d <= MaxSeconds)) throw new ArgumentException($"--duration {d} is outside (0, {MaxSeconds:0}] seconds.");
        }

        public IEnumerable<string> Arguments()
        {
            var pairs = new (string Name, object? Value)[] { ("--start", Start), ("--duration", Duration), ("--every", Every), ("--fps", Fps), ("--max-frames", MaxFrames) };
            foreach (var (name, value) in pairs.Where(p => p.Value is not null))
            {
                yield return name;
                yield return Convert.ToString(value, CultureInfo.InvariantCulture)!;
            }
        }
    }

    /// <summary>An input checked against the limits, with the frames it will give.</summary>
    public sealed record Opened(VideoProbe Probe, FrameSelection Selection, int Width, int Height, FrameFit Fit, int FrameCount, double FrameRate)
    {
        /// <summary>A writer at this clip's size and rate carrying the input's audio for the selected span.</summary>
        public VideoWriter Writer(string path, bool replace, int widthFactor = 1, bool audio = true) =>
            new(path, widthFactor * Width, Height, FrameRate, audio ? Probe.Path : null, Selection.Start, Selection == FrameSelection.All ? null : FrameCount / FrameRate, replace);

        /// <summary>The selected, fitted frames as chunks [n, 3, Height, Width] in [−1, 1]; each call reads the input anew.</summary>
        public IEnumerable<Tensor> Read(int chunk)
        {
            using var reader = new VideoReader(Probe, Selection, new FrameFitting(Width, Height, Fit));
            foreach (var frames in reader.ReadChunks(chunk)) yield return frames;
        }
    }

    /// <summary>Probes the input (not a video, no frames, unreadable codec fail here) and checks the selection against it.</summary>
    public static Opened Open(string input, Values v, int width, int height)
    {
        if (width > MaxSize || height > MaxSize) throw new ArgumentException($"--size {width}x{height} is beyond the limit of {MaxSize} pixels a side.");

        var probe = VideoProbe.Run(input);
        if (probe.Width > MaxInputSide || probe.Height > MaxInputSide)
            throw new InvalidDataException($"{input} is {probe.Width}×{probe.Height}; the limit is {MaxInputSide} pixels a side.");
        var selection = new FrameSelection(v.Start, v.Duration, v.Every, v.Fps, v.MaxFrames);
        int count = selection.Count(probe);
        if (count < 1) throw new InvalidDataException($"{input}: the selected range has no frames.");
        if (count > MaxFrames)
            throw new InvalidDataException($"{input} gives {count} frames; the limit is {MaxFrames} (use --duration, --every or --max-frames).");
        return new Opened(probe, selection, width, height, v.Fit, count, selection.FrameRate(probe));
    }
}
