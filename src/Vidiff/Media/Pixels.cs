using static TorchSharp.torch;

namespace Vidiff.Media;

/// <summary>Conversions between our tensors and the raw pixel layouts ffmpeg pipes carry.</summary>
public static class Pixels
{
    /// <summary>The first F frames of rgb24 bytes → [F,3,H,W] in [-1,1]; the intermediates are freed at once (streamed reads stay bounded).</summary>
    public static Tensor FromRgb24(byte[] bytes, long frames, long height, long width)
    {
        using var scope = NewDisposeScope();
        var data = bytes.Length == frames * height * width * 3 ? bytes : bytes[..(int)(frames * height * width * 3)];
        return tensor(data, [frames, height, width, 3]).permute(0, 3, 1, 2).to(ScalarType.Float32).div(127.5).sub(1).MoveToOuterDisposeScope();
    }

    /// <summary>[F,3,H,W] in [-1,1] → rgb24 bytes, rounded and clipped.</summary>
    public static byte[] ToRgb24(Tensor frames)
    {
        using var scope = NewDisposeScope();
        return frames.detach().to(ScalarType.Float32).add(1).mul(127.5).round().clamp(0, 255).to(ScalarType.Byte)
            .permute(0, 2, 3, 1).contiguous().data<byte>().ToArray();
    }

    /// <summary>[..,H,W] in [0,1] → little-endian 16-bit grey.</summary>
    public static byte[] ToGray16(Tensor image)
    {
        using var scope = NewDisposeScope();
        var values = image.detach().to(ScalarType.Float64).clamp(0, 1).mul(65535).round().to(ScalarType.Int32).contiguous().data<int>().ToArray();
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), (ushort)values[i]);
        return bytes;
    }

    /// <summary>Little-endian 16-bit grey → a tensor of <paramref name="shape"/> in [0,1].</summary>
    public static Tensor FromGray16(byte[] bytes, long[] shape)
    {
        var values = new ushort[bytes.Length / 2];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return tensor(values.Select(v => v / 65535f).ToArray(), shape);
    }

    /// <summary>[..,H,W] of values 0..255 → bytes.</summary>
    public static byte[] ToGray8(Tensor image)
    {
        using var scope = NewDisposeScope();
        return image.detach().clamp(0, 255).to(ScalarType.Byte).contiguous().data<byte>().ToArray();
    }
}
