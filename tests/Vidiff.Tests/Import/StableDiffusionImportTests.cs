using Vidiff.Autoencoder;
using Vidiff.Checkpoints;
using Vidiff.Checkpoints.Layouts;
using Vidiff.Tests.Checkpoints;
using Vidiff.Unet;
using static TorchSharp.torch;

namespace Vidiff.Tests.Import;

/// <summary>
/// Tiny Stable Diffusion checkpoints in the original LDM layout and the diffusers layout (tools/fixtures/make_import_fixtures.py)
/// reproduce diffusers' outputs after import; the imported video UNet equals the image UNet on every frame (paper §3.2).
/// </summary>
public class StableDiffusionImportTests
{
    // Not stored in the weights: the fixtures' head counts and norm groups.
    const int Groups = 4, Sd1Heads = 2, Sd2HeadDim = 4;

    static string Fixture(string name) => Fixtures.Path("import", name);

    static SpatioTemporalUnet Unet(string variant, bool ldm) => ldm
        ? ImageModelImport.UnetFromSingleFile(Fixture($"{variant}.safetensors"), Groups,
            heads: variant == "sd1" ? Sd1Heads : null, headDim: variant == "sd1" ? null : Sd2HeadDim)
        : ImageModelImport.UnetFromDiffusers(Fixture($"{variant}_diffusers/unet"));

    static AutoencoderKL Vae(string variant, bool ldm) => ldm
        ? ImageModelImport.AutoencoderFromSingleFile(Fixture($"{variant}.safetensors"), Groups)
        : ImageModelImport.AutoencoderFromDiffusers(Fixture($"{variant}_diffusers/vae"));

    [Theory]
    [InlineData("sd1", true)]
    [InlineData("sd1", false)]
    [InlineData("sd2depth", true)]
    [InlineData("sd2depth", false)]
    public void UnetMatchesDiffusersOnEveryFrame(string variant, bool ldm)
    {
        using var io = new SafetensorsFile(Fixture($"{variant}_io.safetensors"));
        using var net = Unet(variant, ldm);
        Assert.Equal(new[] { 8, 16, 16, 16 }, net.Config.BlockChannels);
        Assert.Equal(new[] { true, true, true, false }, net.Config.Transformers);
        Assert.Equal(variant == "sd2depth", net.Config.LinearProjection);
        Assert.Equal(1, net.Config.StructureChannels);

        using var _ = no_grad();
        var sample = io.Read("unet.sample");
        var expected = io.Read("unet.output");
        // Three identical frames: the untrained temporal layers are the identity, so every frame is the image model's output.
        var latents = sample[.., ..4].unsqueeze(2).expand(-1, -1, 3, -1, -1);
        // SD 1.x has no structure input: the added channel is zero-initialised, so any structure leaves the output unchanged.
        var structure = variant == "sd1" ? randn([2, 1, 3, 8, 8], generator: new TorchSharp.torch.Generator(5)) : sample[.., 4..].unsqueeze(2).expand(-1, -1, 3, -1, -1);
        var output = net.forward(latents, structure, io.Read("unet.timesteps"), io.Read("unet.context"));
        for (int f = 0; f < 3; f++) Fixtures.AssertClose(expected, output[.., .., f]);
    }

    [Theory]
    [InlineData("sd1", true)]
    [InlineData("sd1", false)]
    public void AutoencoderMatchesDiffusers(string variant, bool ldm)
    {
        using var io = new SafetensorsFile(Fixture($"{variant}_io.safetensors"));
        using var vae = Vae(variant, ldm);
        Assert.Equal(new[] { 8, 16, 16, 16 }, vae.Config.BlockChannels);
        using var _ = no_grad();
        var (mean, logVar) = vae.Encode(io.Read("vae.images"));
        Fixtures.AssertClose(io.Read("vae.mean"), mean);
        Fixtures.AssertClose(io.Read("vae.logvar"), logVar);
        Fixtures.AssertClose(io.Read("vae.decoded"), vae.Decode(io.Read("vae.mean")));
    }

    [Fact]
    public void ImportedStructureChannelStartsAtZero()
    {
        using var net = Unet("sd1", ldm: true);
        var convIn = net.state_dict()["conv_in.weight"];
        Assert.Equal(5, convIn.shape[1]);
        Assert.Equal(0f, convIn[.., 4].abs().max().item<float>());
        Assert.True(convIn[.., ..4].abs().max().item<float>() > 0.1f);
    }

    [Fact]
    public void MissingAndMisShapedKeysAreNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vidiff-import-{Environment.ProcessId}-broken.safetensors");
        try
        {
            using (var source = new SafetensorsFile(Fixture("sd1.safetensors")))
            {
                var tensors = source.Keys.Where(k => k != "model.diffusion_model.middle_block.1.proj_out.bias")
                    .ToDictionary(k => k, k => source.Read(k));
                tensors["model.diffusion_model.out.2.bias"] = zeros(3);
                tensors["model.diffusion_model.input_blocks.1.1.extra.weight"] = zeros(2);
                Safetensors.Write(path, tensors);
            }
            var ex = Assert.Throws<CheckpointMismatchException>(() => ImageModelImport.UnetFromSingleFile(path, Groups, heads: Sd1Heads));
            Assert.Contains("missing keys: model.diffusion_model.middle_block.1.proj_out.bias", ex.Message);
            Assert.Contains("unexpected keys: model.diffusion_model.input_blocks.1.1.extra.weight", ex.Message);
            Assert.Contains("model.diffusion_model.out.2.bias: file [3], conv_out.bias needs [4]", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void KeyMapInvertsTheReferenceConversion()
    {
        // Every LDM key of the reference-converted file is reached from exactly one of our names (the text encoder's aside).
        using var file = new SafetensorsFile(Fixture("sd2depth.safetensors"));
        var config = LdmStableDiffusion.InferUnet(file, Groups, headDim: Sd2HeadDim);
        using var net = new SpatioTemporalUnet(config);
        using var vae = new AutoencoderKL(LdmStableDiffusion.InferAutoencoder(file, Groups));
        var mapped = LdmStableDiffusion.UnetKeys(ImageModelImport.SpatialKeys(net), config).Values
            .Concat(LdmStableDiffusion.AutoencoderKeys(vae.state_dict().Keys, vae.Config).Values).ToList();
        Assert.Equal(mapped.Count, mapped.Distinct().Count());
        Assert.Equal(file.Keys.Where(k => !k.StartsWith(LdmStableDiffusion.TextEncoderPrefix, StringComparison.Ordinal)).Order(), mapped.Order());
    }
}
