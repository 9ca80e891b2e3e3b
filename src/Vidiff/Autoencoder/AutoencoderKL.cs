using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

using Vidiff.Nn;

namespace Vidiff.Autoencoder;

/// <summary>
/// The KL autoencoder of latent diffusion (paper §1; diffusers' AutoencoderKL names). Videos are encoded and decoded
/// frame by frame; diffusion runs on the scaled latents of all frames jointly.
/// </summary>
public sealed class AutoencoderKL : Module
{
    public AutoencoderConfig Config { get; }

    readonly Encoder encoder;
    readonly Decoder decoder;
    readonly Conv quant_conv, post_quant_conv;

    public AutoencoderKL(AutoencoderConfig config) : base(nameof(AutoencoderKL))
    {
        Config = config;
        encoder = new Encoder(config);
        decoder = new Decoder(config);
        quant_conv = new Conv(2 * config.LatentChannels, 2 * config.LatentChannels, 1);
        post_quant_conv = new Conv(config.LatentChannels, config.LatentChannels, 1);
        RegisterComponents();
    }

    /// <summary>
    /// The posterior q(z | x) = N(mean, exp(logVar)) of images [N, 3, H, W] in [-1, 1]; unscaled [N, latent, H/s, W/s].
    /// Runs in the weights' dtype (e.g. after to(bfloat16)) and returns the images' dtype.
    /// </summary>
    public (Tensor mean, Tensor logVar) Encode(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != Config.ImageChannels || images.shape[2] % Config.Stride != 0 || images.shape[3] % Config.Stride != 0)
            throw new ArgumentException($"images have shape [{string.Join(", ", images.shape)}]; expected [N, {Config.ImageChannels}, H, W] with H and W multiples of {Config.Stride}", nameof(images));
        var moments = quant_conv.call(encoder.forward(images.to(quant_conv.Weight.dtype))).to(images.dtype).chunk(2, 1);
        // diffusers clamps the log-variance so exp() stays finite.
        return (moments[0], moments[1].clamp(-30, 20));
    }

    /// <summary>Unscaled latents [N, latent, h, w] to images [N, 3, h·s, w·s] (nominally [-1, 1], not clamped), in z's dtype.</summary>
    public Tensor Decode(Tensor z) => decoder.forward(post_quant_conv.call(z.to(post_quant_conv.Weight.dtype))).to(z.dtype);

    /// <summary>Video [B, 3, F, H, W] in [-1, 1] to scaled latents [B, latent, F, h, w], a few frames at a time.</summary>
    /// <param name="generator">Samples z ~ q(z | x) with this generator; null takes the posterior mean.</param>
    public Tensor EncodeVideo(Tensor video, Generator? generator = null, int chunk = 8)
    {
        if (video.dim() != 5)
            throw new ArgumentException($"video has shape [{string.Join(", ", video.shape)}]; expected [B, {Config.ImageChannels}, F, H, W]", nameof(video));
        return PerFrame(video, chunk, frames =>
        {
            var (mean, logVar) = Encode(frames);
            var z = generator is null ? mean : mean + (0.5 * logVar).exp() * randn(mean.shape, mean.dtype, generator: generator).to(mean.device);
            return z * Config.ScalingFactor;
        });
    }

    /// <summary>Scaled latents [B, latent, F, h, w] to video [B, 3, F, H, W], a few frames at a time.</summary>
    public Tensor DecodeVideo(Tensor latents, int chunk = 8)
    {
        if (latents.dim() != 5 || latents.shape[1] != Config.LatentChannels)
            throw new ArgumentException($"latents have shape [{string.Join(", ", latents.shape)}]; expected [B, {Config.LatentChannels}, F, h, w]", nameof(latents));
        return PerFrame(latents, chunk, z => Decode(z / Config.ScalingFactor));
    }

    /// <summary>Applies an image function to every frame of [B, C, F, H, W], folding frames into the batch in chunks to bound memory.</summary>
    static Tensor PerFrame(Tensor video, int chunk, Func<Tensor, Tensor> f)
    {
        using var scope = NewDisposeScope();
        long b = video.shape[0], n = b * video.shape[2];
        var frames = video.transpose(1, 2).reshape(n, video.shape[1], video.shape[3], video.shape[4]);
        var outputs = new List<Tensor>();
        for (long i = 0; i < n; i += chunk)
        {
            using var inner = NewDisposeScope();
            outputs.Add(f(frames.narrow(0, i, Math.Min(chunk, n - i))).MoveToOuterDisposeScope());
        }
        var y = cat(outputs, 0);
        return y.reshape(b, video.shape[2], y.shape[1], y.shape[2], y.shape[3]).transpose(1, 2).MoveToOuterDisposeScope();
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());
}
