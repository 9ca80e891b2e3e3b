using Vidiff.Autoencoder;
using Vidiff.Tests.Nn.Parity;
using static TorchSharp.torch;

namespace Vidiff.Tests.Autoencoder;

/// <summary>The autoencoder equals diffusers' AutoencoderKL given the same weights (fixture: Nn/Parity).</summary>
public class DiffusersParityTests
{
    [Fact]
    public void MatchesDiffusers()
    {
        var f = DiffusersParity.Fixture("autoencoder");
        using var net = new AutoencoderKL(new AutoencoderConfig([16, 32, 32], NormGroups: 8));

        var theirs = DiffusersParity.Shapes(f);
        var ours = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(theirs.Keys.Order(), ours.Keys.Order());
        Assert.All(theirs, kv => Assert.Equal(kv.Value, ours[kv.Key]));

        DiffusersParity.Fill(net, theirs.Keys.ToHashSet());
        using var _ = no_grad();
        var (mean, logVar) = net.Encode(DiffusersParity.Tensor(f, "images"));
        var decoded = net.Decode(DiffusersParity.Tensor(f, "mean"));
        foreach (var (name, actual) in new[] { ("mean", mean), ("logvar", logVar), ("decoded", decoded) })
        {
            var expected = DiffusersParity.Tensor(f, name);
            double rel = ((actual - expected).norm() / expected.norm()).item<float>();
            // 3e-5: libtorch's native convolutions (used where oneDNN is wrong, Runtime/OneDnnCheck) sum in another order
            // than oneDNN; float32 rounding through the network reaches 1e-5.
            Assert.True(rel < 3e-5, $"{name}: relative error {rel}");
        }
    }
}
