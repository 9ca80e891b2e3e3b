using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Vidiff.Media;
using Vidiff.Runtime;

namespace Vidiff.Cli.Commands;

/// <summary>Options that <c>vidiff edit</c> and <c>vidiff depth</c> share, and number options with one-line parse errors.</summary>
static class CommandOptions
{
    public const string ModelVariable = "VIDIFF_MODEL";

    /// <summary>An optional number; a value that does not parse, or is not finite, is reported as "--name expects a number, got 'x'".</summary>
    public static Option<T?> Number<T>(string name, string description) where T : struct, INumber<T> => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (T.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && T.IsFinite(value)) return value;
            result.AddError($"{name} expects {(typeof(T) == typeof(int) || typeof(T) == typeof(long) ? "an integer" : "a finite number")}, got '{CommandErrors.Printable(token)}'");
            return null;
        },
    };

    public static Option<string?> Model() => new("--model")
    {
        Description = $"Model folder (default: ${ModelVariable}, else models/mini of the Vidiff checkout holding this executable).",
    };

    /// <summary>--model, else $VIDIFF_MODEL, else the nearest models/mini above the executable (the repository's bundled model).</summary>
    public static string ResolveModel(string? option)
    {
        if (!string.IsNullOrEmpty(option)) return Path.GetFullPath(option);
        var fromEnvironment = Environment.GetEnvironmentVariable(ModelVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        return FindBundled(Path.Combine("models", "mini")) ?? throw new DirectoryNotFoundException($"No model folder given and none found: pass --model DIR or set ${ModelVariable} (e.g. make one with `vidiff model new --config mini --out DIR`).");
    }

    /// <summary>The nearest <paramref name="relative"/> path above the executable: the checkout's bundled model and
    /// sample, found from bin/ as from a published folder that carries them.</summary>
    public static string? FindBundled(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate) || File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static Option<string> Device() => new("--device")
    {
        Description = $"Where the networks run: {DeviceChoice.Expected} (vidiff info lists the devices TorchSharp sees here); one that is not there is refused.",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<bool> Bf16() => new("--bf16")
    {
        Description = "Run the networks in bfloat16: faster where the CPU has bf16 matrix units (see vidiff info), slightly less exact.",
    };

    /// <summary>`--dtype` and its shorthand `--bf16`, for the commands that run networks to make outputs.</summary>
    public static (Option<Precision> Dtype, Option<bool> Bf16) PrecisionOptions() => (new("--dtype")
    {
        Description = $"Precision of the networks: auto (a half type where the device multiplies it at least {PrecisionChoice.MinSpeedup}× as fast as fp32, measured at start as vidiff info does: bf16 on the CPU, bf16 else fp16 on CUDA; fp32 elsewhere), bf16, fp16 (CUDA only) or fp32.",
        DefaultValueFactory = _ => Precision.Auto,
    }, new("--bf16") { Description = "The same as --dtype bf16." });

    public static Precision ReadPrecision(ParseResult parse, (Option<Precision> Dtype, Option<bool> Bf16) options)
    {
        var dtype = parse.GetValue(options.Dtype);
        if (!parse.GetValue(options.Bf16)) return dtype;
        if (parse.GetResult(options.Dtype) is { Implicit: false } && dtype != Precision.Bf16)
            throw new ArgumentException($"--bf16 asks for bf16 and --dtype {dtype.ToString().ToLowerInvariant()} for another: give one.");
        return Precision.Bf16;
    }

    /// <summary>The input must be a readable video file or folder of frames before anything is loaded.</summary>
    public static string CheckInput(string input)
    {
        InputFile.Check(input, "Input", VideoProbe.Expected, folder: true);
        return Path.GetFullPath(input);
    }

    /// <summary>A reference image (--image, --negative-image) must be a readable image file.</summary>
    public static string CheckImage(string image, string option)
    {
        InputFile.Check(image, option, ImageFile.Expected);
        return Path.GetFullPath(image);
    }

    /// <summary>An adapter (--adapter) must be a readable safetensors file.</summary>
    public static string CheckAdapter(string adapter)
    {
        InputFile.Check(adapter, "--adapter", "a LoRA adapter (.safetensors)");
        return Path.GetFullPath(adapter);
    }

    /// <summary>"WxH" to (width, height).</summary>
    public static (int Width, int Height)? ParseSize(string? size)
    {
        if (size is null) return null;
        var parts = size.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int w) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int h) && w > 0 && h > 0)
            return (w, h);
        throw new ArgumentException($"--size expects WIDTHxHEIGHT (e.g. 64x64), got '{size}'.");
    }
}
