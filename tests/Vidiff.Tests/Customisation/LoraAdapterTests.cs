using System.Text.Json;
using Vidiff.Checkpoints;
using Vidiff.Customisation;
using Vidiff.Tests.Checkpoints;
using Vidiff.Tests.Cli;
using Vidiff.Tests.Pipelines;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Tests.Customisation;

/// <summary>LoRA adapters at edit time: the update they add, in every public layout, and every refusal.</summary>
public sealed class LoraAdapterTests : IDisposable
{
    readonly Fixtures.TempDir dir = new();

    public void Dispose() => dir.Dispose();

    static readonly string[] Targets =
    [
        "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
        "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_out.0",
        "mid_block.attentions.0.transformer_blocks.0.attn2.to_k",
    ];

    /// <summary>A seeded random rank-2 update (down [2, in], up [out, 2]) of each target of the tiny UNet.</summary>
    static Dictionary<string, (Tensor Down, Tensor Up)> Random(SpatioTemporalUnet unet, long seed)
    {
        var weights = unet.state_dict();
        using var generator = new Generator((ulong)seed);
        return Targets.ToDictionary(t => t, t =>
        {
            var w = weights[t + ".weight"];
            return (randn([2, w.shape[1]], generator: generator), randn([w.shape[0], 2], generator: generator));
        });
    }

    string Write(string name, Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata = null)
    {
        var path = dir[name];
        Safetensors.Write(path, tensors, metadata);
        return path;
    }

    /// <summary>The same update in diffusers/PEFT's layout (α in diffusers' lora_adapter_metadata), kohya's (α per module) and diffusers' attention processors' (α = r).</summary>
    Dictionary<string, string> Layouts(Dictionary<string, (Tensor Down, Tensor Up)> update, double alpha) => new()
    {
        ["peft"] = Write("peft.safetensors", update.SelectMany(u => new[] { ($"unet.{u.Key}.lora_A.weight", u.Value.Down), ($"unet.{u.Key}.lora_B.weight", u.Value.Up) })
            .ToDictionary(p => p.Item1, p => p.Item2), new() { ["lora_adapter_metadata"] = JsonSerializer.Serialize(new Dictionary<string, object> { ["unet.lora_alpha"] = alpha, ["unet.r"] = 2 }) }),
        ["kohya"] = Write("kohya.safetensors", update.SelectMany(u => new[]
        {
            ($"lora_unet_{u.Key.Replace('.', '_')}.lora_down.weight", u.Value.Down), ($"lora_unet_{u.Key.Replace('.', '_')}.lora_up.weight", u.Value.Up),
            ($"lora_unet_{u.Key.Replace('.', '_')}.alpha", tensor((float)alpha)),
        }).Append(("lora_te_text_model_encoder_layers_0_self_attn_q_proj.alpha", tensor(1f))).ToDictionary(p => p.Item1, p => p.Item2)),
    };

    [Fact]
    public void AddsTheScaledLowRankUpdateInEveryLayoutAndNothingAtScaleZero()
    {
        using var model = EditFixtures.TinyModel();
        var before = model.Unet.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var update = Random(model.Unet, 1);
        var layouts = Layouts(update, alpha: 1);

        using (var peft = LoraAdapter.Read(layouts["peft"], model.Unet, "tiny", null))
        {
            Assert.Equal(Targets.Order(StringComparer.Ordinal), peft.Updates.Select(u => u.Target));
            peft.Apply(model.Unet, 0);
            Assert.All(model.Unet.state_dict(), kv => Assert.True(kv.Value.equal(before[kv.Key]).all().item<bool>(), kv.Key));
            peft.Apply(model.Unet, 0.5);
        }
        var after = model.Unet.state_dict();
        foreach (var (target, (down, up)) in update)
            Fixtures.AssertClose(before[target + ".weight"] + 0.5 * (1.0 / 2) * up.matmul(down), after[target + ".weight"], 1e-6);
        Assert.Equal(Targets.Length, after.Count(kv => !kv.Value.equal(before[kv.Key]).all().item<bool>()));

        // kohya's file holds the same update (α per module) and one text-encoder tensor, counted and left alone.
        using var kohya = LoraAdapter.Read(layouts["kohya"], model.Unet, "tiny", null);
        Assert.Equal(1, kohya.TextEncoderTensors);
        kohya.Apply(model.Unet, -0.5);
        foreach (var (key, value) in model.Unet.state_dict()) Fixtures.AssertClose(before[key], value, 1e-6);
    }

    [Fact]
    public void DiffusersAttentionProcessorsLayoutMapsOntoTheProjections()
    {
        using var model = EditFixtures.TinyModel();
        var update = Random(model.Unet, 2);
        var path = Write("procs.safetensors", update.SelectMany(u =>
        {
            int last = u.Key.LastIndexOf(".to_", StringComparison.Ordinal);
            var projection = u.Key[(last + 1)..].Replace("to_out.0", "to_out", StringComparison.Ordinal);
            var prefix = $"{u.Key[..last]}.processor.{projection}_lora";
            return new[] { ($"{prefix}.down.weight", u.Value.Down), ($"{prefix}.up.weight", u.Value.Up) };
        }).ToDictionary(p => p.Item1, p => p.Item2));
        using var adapter = LoraAdapter.Read(path, model.Unet, "tiny", null);
        Assert.Equal(Targets.Order(StringComparer.Ordinal), adapter.Updates.Select(u => u.Target));
        Assert.All(adapter.Updates, u => Assert.Equal(1, u.Scaling)); // no α stored: α = r
    }

    [Fact]
    public void RefusesWhatDoesNotFitTheModel()
    {
        using var model = EditFixtures.TinyModel();
        var update = Random(model.Unet, 3);
        var (down, up) = update[Targets[0]];
        string Refusal(Dictionary<string, Tensor> tensors, Dictionary<string, string>? metadata = null, string? identity = null) =>
            Assert.Throws<InvalidDataException>(() => LoraAdapter.Read(Write("bad.safetensors", tensors, metadata), model.Unet, "tiny", identity)).Message;

        Assert.Contains("\"unet.x.weight\" is not a LoRA tensor", Refusal(new() { ["unet.x.weight"] = down }));
        Assert.Contains("adapts up_blocks.9.attn1.to_q, which the UNet of model tiny does not have",
            Refusal(new() { ["unet.up_blocks.9.attn1.to_q.lora_A.weight"] = down, ["unet.up_blocks.9.attn1.to_q.lora_B.weight"] = up }));
        Assert.Contains("does not fit it",
            Refusal(new() { [$"unet.{Targets[0]}.lora_A.weight"] = down, [$"unet.{Targets[0]}.lora_B.weight"] = randn(up.shape[0] + 1, 2) }));
        Assert.Contains("has no up (B) matrix", Refusal(new() { [$"unet.{Targets[0]}.lora_A.weight"] = down }));
        Assert.Contains("was made for model other (aaaaaaaaaaaa), not for tiny (bbbbbbbbbbbb)",
            Refusal(new() { [$"unet.{Targets[0]}.lora_A.weight"] = down, [$"unet.{Targets[0]}.lora_B.weight"] = up },
                new() { [LoraAdapter.BaseModelKey] = new string('a', 64), [LoraAdapter.BaseModelNameKey] = "other" }, identity: new string('b', 64)));
        File.WriteAllText(dir["bad.safetensors"], "not safetensors");
        Assert.Throws<CheckpointFormatException>(() => LoraAdapter.Read(dir["bad.safetensors"], model.Unet, "tiny", null));

        Assert.Equal(new AdapterChoice("a:b.safetensors", 0.25), AdapterChoice.Parse("a:b.safetensors:0.25"));
        Assert.Equal(new AdapterChoice("style.safetensors", 1), AdapterChoice.Parse("style.safetensors"));
        Assert.Contains("scale 3 is outside", Assert.Throws<ArgumentException>(() => AdapterChoice.Parse("style.safetensors:3")).Message);
    }

    /// <summary>vidiff edit --adapter: scale 0 writes the base model's frames exactly; OUT.json records each adapter; a bad one is one line.</summary>
    [Fact]
    public void EditTakesAdaptersAndRecordsThem()
    {
        using var fixture = new CliFixture();
        using (var model = ModelFolder.Load(fixture.Model)) Layouts(Random(model.Unet, 4), alpha: 2);
        string[] Edit(string output, params string[] extra)
        {
            CliFixture.VidiffOk(["edit", fixture.Clip, "-p", "a red cube", "--model", fixture.Model, "--steps", "2", "--max-frames", "4", "-o", output, .. extra]);
            return [.. Directory.GetFiles(output, "*.png").Order().Select(f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))))];
        }
        var plain = Edit(dir["plain/"]);
        Assert.Equal(plain, Edit(dir["zero/"], "--adapter", dir["peft.safetensors"] + ":0"));
        Assert.NotEqual(plain, Edit(dir["both/"], "--adapter", dir["peft.safetensors"], "--adapter", dir["kohya.safetensors"] + ":-0.5"));

        using var settings = JsonDocument.Parse(File.ReadAllText(dir["both"] + ".json"));
        var adapters = settings.RootElement.GetProperty("adapters").EnumerateArray().ToList();
        Assert.Equal([dir["peft.safetensors"], dir["kohya.safetensors"]], adapters.Select(a => a.GetProperty("path").GetString()));
        Assert.Equal([1.0, -0.5], adapters.Select(a => a.GetProperty("scale").GetDouble()));
        Assert.All(adapters, a => Assert.Equal(64, a.GetProperty("sha256").GetString()!.Length));
        Assert.Contains($"--adapter {dir["kohya.safetensors"]}:-0.5", settings.RootElement.GetProperty("command").GetString());

        File.WriteAllText(dir["broken.safetensors"], "not safetensors");
        foreach (var (adapter, expected) in new[] { (dir["broken.safetensors"], "broken.safetensors"), (dir["missing.safetensors"], "does not exist"), (dir["peft.safetensors"] + ":9", "outside") })
        {
            var (code, output) = CliFixture.VidiffOutput("edit", fixture.Clip, "-p", "a red cube", "--model", fixture.Model, "--adapter", adapter, "-o", dir["refused.mp4"]);
            Assert.Equal(1, code);
            Assert.Contains(expected, output);
            Assert.Single(output.Trim().Split('\n'));
            Assert.False(File.Exists(dir["refused.mp4"]));
        }
    }
}
