using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Customisation;
using Vidiff.Tests.Checkpoints;
using static TorchSharp.torch;

namespace Vidiff.Tests.Customisation;

/// <summary>
/// Public LoRA files on an imported Stable Diffusion UNet: one random rank-4, α = 2 LoRA of every attention projection of
/// the tiny SD 1.x UNet in four layouts (tools/fixtures/make_lora_fixtures.py), each loaded by diffusers' own loaders
/// into diffusers' UNet for the reference outputs. Ours, after <see cref="LoraAdapter.Apply"/>, match them.
/// </summary>
public sealed class LoraParityTests
{
    [Theory]
    [InlineData("peft", 1.0, "output_peft")]
    [InlineData("peft", 0.5, "output_peft_half")]
    [InlineData("diffusers", 1.0, "output_diffusers")]
    [InlineData("attn_procs", 1.0, "output_attn_procs")]
    [InlineData("kohya", 1.0, "output_kohya")]
    public void MatchesDiffusersLoadingTheSameFile(string layout, double scale, string expected)
    {
        using var unet = ImageModelImport.UnetFromDiffusers(Fixtures.Path("import", "sd1_diffusers", "unet"));
        using var adapter = LoraAdapter.Read(Fixtures.Path("lora", layout + ".safetensors"), unet, "sd1", identity: null);
        Assert.Equal(128, adapter.Updates.Count);
        adapter.Apply(unet, scale);

        using var io = new SafetensorsFile(Fixtures.Path("lora", "lora_io.safetensors"));
        using var _ = no_grad();
        // Two images, each a one-frame video; the imported UNet's structure channel has zero weights.
        var sample = io.Read("sample").unsqueeze(2);
        var output = unet.forward(sample, zeros([2, 1, 1, 8, 8]), io.Read("timestep"), io.Read("context"));
        Fixtures.AssertClose(io.Read(expected), output.squeeze(2));
        Assert.True((io.Read("output_base") - output.squeeze(2)).abs().max().item<float>() > 0.1, "the LoRA changes the output");
    }
}
