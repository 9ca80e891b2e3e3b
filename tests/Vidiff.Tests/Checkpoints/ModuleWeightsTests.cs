using TorchSharp;
using TorchSharp.Modules;
using Vidiff.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Checkpoints;

public class ModuleWeightsTests
{
    sealed class Tiny : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE0052 // registered by reflection
        readonly Linear linear;
        readonly Conv2d conv;
        readonly GroupNorm norm;
        readonly Embedding embed;
#pragma warning restore IDE0052

        public Tiny(int hidden = 6) : base(nameof(Tiny))
        {
            linear = nn.Linear(4, hidden);
            conv = nn.Conv2d(2, 4, 3);
            norm = nn.GroupNorm(2, 4);
            embed = nn.Embedding(5, 3);
            RegisterComponents();
            register_buffer("scale", randn(3));
        }

        public override Tensor forward(Tensor x) => x;
    }

    static Tiny Make(int seed, int hidden = 6)
    {
        manual_seed(seed);
        var m = new Tiny(hidden);
        // GroupNorm starts at ones/zeros: make it distinguishable between seeds.
        using (no_grad()) foreach (var p in m.parameters()) p.add_(randn_like(p));
        return m;
    }

    [Fact]
    public void RoundTripIsBitExact()
    {
        using var dir = new Fixtures.TempDir();
        var source = Make(1);
        ModuleWeights.Save(source, dir["tiny.safetensors"], metadata: new Dictionary<string, string> { ["step"] = "3" });
        var target = Make(2);
        var before = target.parameters().First();
        ModuleWeights.Load(target, dir["tiny.safetensors"]);

        var expected = source.state_dict();
        var actual = target.state_dict();
        Assert.Equal(["conv.bias", "conv.weight", "embed.weight", "linear.bias", "linear.weight", "norm.bias", "norm.weight", "scale"], actual.Keys.Order());
        foreach (var (key, t) in expected) Assert.Equal(t.data<float>().ToArray(), actual[key].data<float>().ToArray());
        Assert.Same(before, target.parameters().First()); // loaded in place, not replaced
        Assert.True(target.parameters().All(p => p.requires_grad));
        using var file = new SafetensorsFile(dir["tiny.safetensors"]);
        Assert.Equal("3", file.Metadata["step"]);
    }

    [Fact]
    public void SavesInRequestedDtypeAndLoadsIntoParameterDtype()
    {
        using var dir = new Fixtures.TempDir();
        var source = Make(1);
        ModuleWeights.Save(source, dir["half.safetensors"], ScalarType.Float16);
        using (var file = new SafetensorsFile(dir["half.safetensors"]))
            Assert.All(file.Keys, k => Assert.Equal(ScalarType.Float16, file[k].DType));
        var target = Make(2);
        ModuleWeights.Load(target, dir["half.safetensors"]);
        var expected = source.state_dict();
        foreach (var (key, t) in target.state_dict())
        {
            Assert.Equal(ScalarType.Float32, t.dtype);
            Assert.Equal(expected[key].half().@float().data<float>().ToArray(), t.data<float>().ToArray());
        }
    }

    [Fact]
    public void StrictLoadNamesMissingUnexpectedAndMisshapenKeys()
    {
        using var dir = new Fixtures.TempDir();
        var tensors = Make(1).state_dict().Where(kv => kv.Key != "norm.bias").ToDictionary();
        tensors["extra.weight"] = zeros(2);
        Safetensors.Write(dir["w.safetensors"], tensors);
        var target = Make(2, hidden: 7);
        var snapshot = target.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var ex = Assert.Throws<CheckpointMismatchException>(() => ModuleWeights.Load(target, dir["w.safetensors"]));
        Assert.Contains(dir["w.safetensors"], ex.Message);
        Assert.Contains("1 missing keys: norm.bias", ex.Message);
        Assert.Contains("1 unexpected keys: extra.weight", ex.Message);
        Assert.Contains("2 shape mismatches: linear.bias: module [7], file [6], linear.weight: module [7, 4], file [6, 4]", ex.Message);
        // Nothing was copied before the check failed.
        foreach (var (key, t) in target.state_dict()) Assert.Equal(snapshot[key].data<float>().ToArray(), t.data<float>().ToArray());

        // Non-strict tolerates missing and unexpected keys, never wrong shapes.
        var loose = Assert.Throws<CheckpointMismatchException>(() => ModuleWeights.Load(target, dir["w.safetensors"], strict: false));
        Assert.DoesNotContain("missing", loose.Message);
        Assert.Contains("linear.weight", loose.Message);
    }

    [Fact]
    public void NonStrictLoadCopiesWhatMatches()
    {
        using var dir = new Fixtures.TempDir();
        var source = Make(1);
        Safetensors.Write(dir["w.safetensors"], new Dictionary<string, Tensor> { ["conv.weight"] = source.state_dict()["conv.weight"], ["other"] = ones(1) });
        var target = Make(2);
        var normBefore = target.state_dict()["norm.weight"].clone();
        ModuleWeights.Load(target, dir["w.safetensors"], strict: false);
        Assert.Equal(source.state_dict()["conv.weight"].data<float>().ToArray(), target.state_dict()["conv.weight"].data<float>().ToArray());
        Assert.Equal(normBefore.data<float>().ToArray(), target.state_dict()["norm.weight"].data<float>().ToArray());
    }

    [Fact]
    public void LongKeyListsAreTruncated()
    {
        using var dir = new Fixtures.TempDir();
        Safetensors.Write(dir["w.safetensors"], Enumerable.Range(0, 45).ToDictionary(i => $"k{i:D2}", _ => zeros(1)));
        var ex = Assert.Throws<CheckpointMismatchException>(() => ModuleWeights.Load(nn.Linear(1, 1), dir["w.safetensors"]));
        Assert.Contains("45 unexpected keys: k00, k01,", ex.Message);
        Assert.Contains("k19, … (25 more)", ex.Message);
        Assert.DoesNotContain("k20", ex.Message);
    }
}
