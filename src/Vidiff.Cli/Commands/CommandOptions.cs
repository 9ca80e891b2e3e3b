using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace Vidiff.Cli.Commands;

/// <summary>Options that <c>vidiff edit</c> and <c>vidiff depth</c> share, and number options with one-line parse errors.</summary>
static class CommandOptions
{
    public const string ModelVariable = "VIDIFF_MODEL";

    /// <summary>An optional number; a value that does not parse is reported as "--name expects a number, got 'x'".</summary>
    public static Option<T?> Number<T>(string name, string description) where T : struct, INumber<T> => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (T.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
            result.AddError($"{name} expects {(typeof(T) == typeof(int) || typeof(T) == typeof(long) ? "an integer" : "a number")}, got '{token}'");
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
        if (!string.IsNullOrEmpty(option)) return option;
        var fromEnvironment = Environment.GetEnvironmentVariable(ModelVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) return fromEnvironment;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "mini");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException($"No model folder given and none found: pass --model DIR or set ${ModelVariable} (e.g. make one with `vidiff model new --config mini --out DIR`).");
    }

    public static Option<bool> Bf16() => new("--bf16")
    {
        Description = "Run the networks in bfloat16: faster where the CPU has bf16 matrix units (see vidiff info), slightly less exact.",
    };

    /// <summary>The input must exist before anything is loaded.</summary>
    public static string CheckInput(string input)
    {
        if (!File.Exists(input) && !Directory.Exists(input))
            throw new FileNotFoundException($"Input {input} does not exist.", input);
        return Path.GetFullPath(input);
    }

    /// <summary>
    /// An output may be written: refused if it exists without --overwrite, or if its folder cannot take a new file
    /// (checked by creating and deleting a probe file, so a failure shows before minutes of work, not after). A missing
    /// folder, as `-o out/edit.mp4` on a fresh checkout gives, is probed at its nearest existing parent and made only by
    /// the writer, so a run refused by a later check leaves no empty folder behind.
    /// </summary>
    public static string CheckOutput(string output, bool overwrite)
    {
        var full = Path.GetFullPath(output);
        if ((File.Exists(full) || Directory.Exists(full)) && !overwrite)
            throw new IOException($"Output {output} already exists; pass --overwrite to replace it.");
        var directory = Path.GetDirectoryName(full)!;
        string existing = directory, missing = "";
        while (!Directory.Exists(existing))
            (missing, existing) = (existing, Path.GetDirectoryName(existing)!);
        if (File.Exists(missing))
            throw new IOException($"Output folder {directory} cannot be made: {missing} is a file.");
        var probe = Path.Combine(existing, $".vidiff-write-test-{Environment.ProcessId}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnauthorizedAccessException(existing == directory
                ? $"Output folder {directory} is not writable."
                : $"Output folder {directory} does not exist and cannot be made ({existing} is not writable).", e);
        }
        return full;
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
