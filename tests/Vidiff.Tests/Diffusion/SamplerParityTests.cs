using System.Runtime.CompilerServices;
using System.Text.Json;
using Vidiff.Diffusion;
using static TorchSharp.torch;

namespace Vidiff.Tests.Diffusion;

/// <summary>Whole trajectories against diffusers' DDIMScheduler and DPMSolverMultistepScheduler (Fixtures/make_sampler_parity.py).</summary>
public class SamplerParityTests
{
    static JsonElement Fixture([CallerFilePath] string here = "") =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "Fixtures", "sampler_parity.json"))).RootElement;

    static float[] Flatten(JsonElement rows) => rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();

    [Fact]
    public void MatchesDiffusers()
    {
        var fixture = Fixture();
        using var noise = tensor(Flatten(fixture.GetProperty("noise")), [2, 3]);
        Denoiser model = (zt, t) => 0.7 * zt.tanh() + 0.3 * (t.to(float32) / 1000.0).unsqueeze(1) * zt;
        int count = 0;
        foreach (var c in fixture.GetProperty("cases").EnumerateArray())
        {
            var schedule = c.GetProperty("schedule").GetString() == "cosine" ? NoiseSchedule.Cosine() : NoiseSchedule.ScaledLinear();
            var p = Enum.Parse<Parameterization>(c.GetProperty("parameterization").GetString()!);
            Sampler sampler = c.GetProperty("sampler").GetString() == "ddim" ? new DdimSampler(schedule, p) : new DpmSolverPlusPlus2M(schedule, p);
            int steps = c.GetProperty("steps").GetInt32();
            Assert.Equal(c.GetProperty("timesteps").EnumerateArray().Select(v => v.GetInt64()), sampler.Timesteps(steps));
            using var expected = tensor(Flatten(c.GetProperty("result")), [2, 3]);
            using var actual = sampler.Sample(model, noise, steps);
            var error = (actual - expected).abs().max().item<float>();
            Assert.True(error < 2e-4 * (1 + expected.abs().max().item<float>()), $"{c}: max error {error}");
            count++;
        }
        Assert.Equal(16, count);
    }
}
