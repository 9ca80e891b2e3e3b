using TorchSharp;
using Vidiff.Runtime;
using static TorchSharp.torch;

namespace Vidiff.Tests.Runtime;

public class DeviceChoiceTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void TheCpuIsAlwaysThere(string name)
    {
        Assert.Equal(DeviceType.CPU, DeviceChoice.Parse(name).type);
        Assert.Equal("cpu", DeviceChoice.Name(DeviceChoice.Parse(name)));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda0")]
    [InlineData("cuda:")]
    [InlineData("cuda:+1")]
    [InlineData("cpu:0")]
    public void WhatIsNoDeviceIsRefusedByName(string name) =>
        Assert.Equal($"--device expects cpu, cuda or cuda:N, got '{name}'.", Assert.Throws<ArgumentException>(() => DeviceChoice.Parse(name)).Message);

    [Fact]
    public void AGpuBeyondTheOnesThereIsRefusedNamingThem()
    {
        int count = DeviceChoice.CudaDevices();
        var e = Assert.Throws<ArgumentException>(() => DeviceChoice.Parse($"cuda:{count}"));
        Assert.StartsWith($"--device cuda:{count}: {(count == 0 ? "no CUDA device" : $"no cuda:{count}")} here; TorchSharp sees cpu", e.Message);
        Assert.Equal(["cpu", .. Enumerable.Range(0, count).Select(i => $"cuda:{i}")], DeviceChoice.Names());
        if (count == 0) Assert.Throws<ArgumentException>(() => DeviceChoice.Parse("cuda"));
    }

    [Fact]
    public void TheBuildSaysItsBackend() => Assert.Contains(DeviceChoice.Backend, new[] { "cpu", "cuda" });

    [Fact]
    public void Fp16IsRefusedOnTheCpuAndAutoPicksBf16OrFp32There()
    {
        Assert.Throws<ArgumentException>(() => PrecisionChoice.Choose(Precision.Fp16, CPU));
        Assert.Equal((ScalarType.BFloat16, "asked"), PrecisionChoice.Choose(Precision.Bf16, CPU));
        var (dtype, reason) = PrecisionChoice.Choose(Precision.Auto, CPU);
        Assert.Contains(dtype, new[] { ScalarType.BFloat16, ScalarType.Float32 });
        Assert.StartsWith("auto: ", reason);
    }
}
