using System.Text.Json;
using Vidiff.Evaluation;
using Vidiff.Media;
using Vidiff.Synthetic;
using Vidiff.Tests.Cli;

namespace Vidiff.Tests.Evaluation;

public sealed class EvalCommandTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("vidiff-eval-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void EvalOnATinyRandomModelWritesEveryFigure()
    {
        string model = Path.Combine(dir, "model"), report = Path.Combine(dir, "report.json"), markdown = Path.Combine(dir, "card.md"),
            sheet = Path.Combine(dir, "sheet.png");
        var made = CliFixture.Vidiff("model", "new", "--config", "tiny", "--out", model);
        Assert.True(made.Code == 0, made.Stdout + made.Stderr);

        var (code, stdout, stderr) = CliFixture.Vidiff("eval", "--model", model, "--clips", "2", "--guidance-clips", "3", "--frames", "8", "--steps", "1", "--ts", "0,3",
            "--data", Path.Combine(dir, "heldout"), "--out", report, "--markdown", markdown, "--sheet", sheet);
        Assert.True(code == 0, stdout + stderr);
        Assert.Matches("PASS|MISS", stdout);

        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var r = json.RootElement.GetProperty("report");
        var figures = r.GetProperty("figures").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f);
        string[] expected =
        [
            "structure: depth model on the input, SSI AbsRel", "structure: SSI AbsRel at t_s = 0", "structure: SSI AbsRel at t_s = 3",
            "structure: AbsRel(t_s = 3) − AbsRel(t_s = 0)", "structure: depth model on the input, SSI AbsRel on object pixels",
            "structure: SSI AbsRel on object pixels at t_s = 0",
            "structure worth: z_0 error from pure noise, single frames, own structure at t_s = 3",
            "structure worth: z_0 error from pure noise, single frames, another clip's structure at t_s = 3",
            "structure worth: 1 − own / another clip's, t_s = 3",
            "text: object takes the named colour (share of clips)",
            "text: floor takes the named colour (share of clips)", "image: object takes the reference's colour (share of clips)",
            "text: object pixels in the named colour (share of the eroded true mask)",
            "text: object IoU of the pixels in the named colour and the true mask",
            "text: floor pixels in the named colour (share of the floor)",
            "image: object pixels in the reference's colour (share of the eroded true mask)",
            "image: object IoU of the pixels in the reference's colour and the true mask",
            "input: object pixels in their own colour (share of the eroded true mask)",
            "input: object IoU of the pixels in their own colour and the true mask",
            "input: floor pixels in its own colour (share of the floor)",
            "perfect edit: object pixels in the named colour (share of the eroded true mask)",
            "perfect edit: object IoU of the pixels in the named colour and the true mask",
            "perfect edit: floor pixels in the named colour (share of the floor)",
            "perfect edit: the renderer redrawing the unedited scene, PSNR (dB) against the input",
            "text: object edit against the perfect edit, PSNR (dB)", "text: object edit against the perfect edit, SSIM (RGB)",
            "text: object edit at ω_t = 0 against the perfect edit, PSNR (dB)", "text: object edit at ω_t = 0 against the perfect edit, SSIM (RGB)",
            "text: floor edit against the perfect edit, PSNR (dB)", "text: floor edit against the perfect edit, SSIM (RGB)",
            "content: object keeps its colour through the autoencoder (share of clips)",
            "content: object keeps its colour, own first frame as reference (share of clips)",
            "temporal: frame consistency, ω_t = 0", "temporal: frame consistency, ω_t = 1.5", "temporal: frame consistency gain, ω_t = 1.5 over 0",
            "temporal: flicker on static background, ω_t = 0", "temporal: flicker on static background, ω_t = 1.5",
            "temporal: flicker reduction, ω_t = 1.5 over 0",
            "guidance: prompt consistency, ω = 1", "guidance: prompt consistency, ω = 7.5", "guidance: prompt consistency gain, ω = 7.5 over 1",
            "guidance: standard error of the gain", "guidance: clips whose prompt consistency rises (share)",
            "speed: edit wall time (s), 16 frames of 16×16, 1 steps",
        ];
        Assert.Equal(expected, figures.Keys);
        // NaN (a JSON string) only where a clip may have nothing to count: no static background, no chromatic object or floor of its own.
        Assert.All(figures.Values.Where(f => f.GetProperty("name").GetString() is var n && !n!.Contains("flicker") && !n.StartsWith("input:", StringComparison.Ordinal)),
            f => Assert.Equal(JsonValueKind.Number, f.GetProperty("value").ValueKind));
        double Value(string name) => figures[name].GetProperty("value").GetDouble();
        foreach (var bar in new[] { "text: object IoU of the pixels in the named colour and the true mask", "structure worth: 1 − own / another clip's, t_s = 3" })
            Assert.True(figures[bar].GetProperty("pass").ValueKind is JsonValueKind.True or JsonValueKind.False);
        Assert.InRange(Value("text: object pixels in the named colour (share of the eroded true mask)"), 0, 1);
        Assert.InRange(Value("perfect edit: object pixels in the named colour (share of the eroded true mask)"), 0.9, 1);
        Assert.True(Value("perfect edit: the renderer redrawing the unedited scene, PSNR (dB) against the input") > 50, "the renderer redraws the stored clip to 8-bit rounding");
        Assert.Equal(1 - Value("structure worth: z_0 error from pure noise, single frames, own structure at t_s = 3")
            / Value("structure worth: z_0 error from pure noise, single frames, another clip's structure at t_s = 3"), Value("structure worth: 1 − own / another clip's, t_s = 3"), 9);
        Assert.True(figures["structure: SSI AbsRel at t_s = 0"].GetProperty("pass").ValueKind is JsonValueKind.True or JsonValueKind.False);
        Assert.Equal(JsonValueKind.Null, figures["speed: edit wall time (s), 16 frames of 16×16, 1 steps"].GetProperty("pass").ValueKind); // judged at 20 steps only
        Assert.InRange(figures["content: object keeps its colour through the autoencoder (share of clips)"].GetProperty("value").GetDouble(), 0, 1);
        Assert.Equal(2, r.GetProperty("clips").GetArrayLength());
        Assert.True(r.GetProperty("clips")[0].GetProperty("pixels").TryGetProperty("object_iou", out _));

        // The guidance figure reads the two full clips and one more; its gain is the mean of the clips' pairs, its error theirs.
        var pairs = r.GetProperty("guidance_pairs").EnumerateArray().Select(p => p.GetProperty("prompt_consistency").GetDouble() - p.GetProperty("prompt_consistency_unguided").GetDouble()).ToArray();
        Assert.Equal(3, pairs.Length);
        Assert.Equal(r.GetProperty("clips")[1].GetProperty("clip").GetString(), r.GetProperty("guidance_pairs")[1].GetProperty("clip").GetString());
        Assert.Equal(pairs.Average(), figures["guidance: prompt consistency gain, ω = 7.5 over 1"].GetProperty("value").GetDouble(), 9);
        double error = Math.Sqrt(pairs.Sum(x => (x - pairs.Average()) * (x - pairs.Average())) / 2 / 3);
        Assert.Equal(error, figures["guidance: standard error of the gain"].GetProperty("value").GetDouble(), 9);
        Assert.Equal(pairs.Average() > 2 * error, figures["guidance: prompt consistency gain, ω = 7.5 over 1"].GetProperty("pass").GetBoolean());
        Assert.Equal(2, json.RootElement.GetProperty("seed").GetInt32());
        Assert.Equal($"vidiff eval --model {Path.GetFullPath(model)} --clips 2 --guidance-clips 3 --frames 8 --seed 2 --train-seed 1 --data {Path.GetFullPath(Path.Combine(dir, "heldout"))} --steps 1 --ts 0,3 --device cpu"
            + $" --dtype {(json.RootElement.GetProperty("dtype").GetString() == "bfloat16" ? "bf16" : "fp32")}", // --dtype auto, as this CPU settled it
            json.RootElement.GetProperty("command").GetString());

        // One row per clip of eight 16×16 tiles; the first tile is the input's middle frame (frame 4 of 8), the fourth the
        // perfect object edit, the third the object edit (second) with the true mask outlined.
        Assert.Equal((8 * 16, 2 * 16), ImageFile.Size(sheet));
        using var picture = ImageFile.ReadRgb(sheet);
        var clip0 = r.GetProperty("clips")[0];
        var stored = SyntheticClip.Open(Path.Combine(dir, "heldout", "clips", clip0.GetProperty("clip").GetString()!));
        using var input = ImageFile.ReadRgb(Path.Combine(stored.Directory, "frames", "00004.png"));
        Assert.True((picture[.., ..16, ..16] - input).abs().max().item<float>() < 0.02f, "the sheet's first tile is the input's middle frame");
        using var perfect = PerfectEdit.Render(stored.Info, ColourPrompts.WithObjects(stored.Scene, clip0.GetProperty("object_colour").GetString()!), 8, 2)[4];
        Assert.True((picture[.., ..16, 48..64] - perfect).abs().max().item<float>() < 0.02f, "the fourth tile is the perfect object edit");
        using var outline = PixelColours.Outline(stored.LoadMasks().narrow(0, 4, 1))[0];
        using var differs = (picture[.., ..16, 32..48] - picture[.., ..16, 16..32]).abs().amax([0]).gt(0.02);
        Assert.False(differs.logical_and(outline.logical_not()).any().item<bool>(), "the outline tile is the object edit outside the outline");
        Assert.True(outline.any().item<bool>());

        var card = File.ReadAllText(markdown);
        Assert.Contains("| figure | value | bar | result |", card);
        Assert.Equal(expected.Length, card.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal)) - 2); // header and rule
    }

    [Fact]
    public void BadSettingsGetOneLineErrors()
    {
        string model = Path.Combine(dir, "model");
        Assert.Equal(0, CliFixture.Vidiff("model", "new", "--config", "tiny", "--out", model).Code);
        string data = Path.Combine(dir, "heldout");

        var sameSeed = CliFixture.Vidiff("eval", "--model", model, "--seed", "1", "--data", data);
        Assert.Equal((1, "error: --seed 1 is the training data's seed; held-out scenes need another one.\n"), (sameSeed.Code, sameSeed.Stderr));

        var noZero = CliFixture.Vidiff("eval", "--model", model, "--clips", "1", "--ts", "2,5", "--data", data);
        Assert.Equal(1, noZero.Code);
        Assert.Contains("must include 0", noZero.Stderr);

        var notLevels = CliFixture.Vidiff("eval", "--model", model, "--ts", "0-7");
        Assert.Equal((1, "error: --ts expects levels like 0,2,4,7, got '0-7'.\n"), (notLevels.Code, notLevels.Stderr));
    }
}
