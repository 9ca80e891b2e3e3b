using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Vidiff.Nn;

namespace Vidiff.Prior;

/// <summary>
/// diffusers' PriorTransformer (the unCLIP/Karlo prior, paper §4): a causal transformer over
/// [text tokens, text embedding, timestep, noisy image embedding, prd query] that reads the denoised
/// (normalised) CLIP image embedding off the last token.
/// </summary>
public sealed class PriorTransformer : Module<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    public PriorConfig Config { get; }
    readonly TimestepEmbedding time_embedding;
    readonly Linear proj_in, embedding_proj, encoder_hidden_states_proj, proj_to_clip_embeddings;
    readonly Parameter positional_embedding, prd_embedding;
    readonly ModuleList<TransformerBlock> transformer_blocks = new();
    readonly LayerNorm norm_out;
    readonly Tensor clip_mean, clip_std;

    public PriorTransformer(PriorConfig config) : base(nameof(PriorTransformer))
    {
        Config = config;
        int inner = config.InnerDim, e = config.EmbeddingDim, l = config.NumEmbeddings + config.AdditionalEmbeddings;
        time_embedding = new TimestepEmbedding(inner, inner);
        proj_in = Linear(e, inner);
        embedding_proj = Linear(e, inner);
        encoder_hidden_states_proj = Linear(e, inner);
        positional_embedding = Parameter(zeros(1, l, inner));
        prd_embedding = Parameter(zeros(1, 1, inner));
        for (int i = 0; i < config.NumLayers; i++)
            transformer_blocks.Add(new TransformerBlock(inner, config.NumAttentionHeads, config.AttentionHeadDim, null, gatedFeedForward: false, attentionBias: true));
        norm_out = LayerNorm(inner);
        proj_to_clip_embeddings = Linear(inner, e);
        // The image-embedding statistics the prior denoises in units of; identity until set from data or a checkpoint.
        clip_mean = zeros(1, e);
        clip_std = ones(1, e);
        RegisterComponents();
    }

    /// <param name="x">[B, E] noisy normalised image embedding.</param>
    /// <param name="timesteps">[B] diffusion steps.</param>
    /// <param name="textEmbed">[B, E] projected CLIP text embedding.</param>
    /// <param name="textHidden">[B, T, E] CLIP text hidden states, T = NumEmbeddings.</param>
    /// <param name="textMask">[B, T] true on real tokens; null means every token is real (the causal mask still applies).</param>
    /// <returns>The predicted normalised image embedding x0 [B, E].</returns>
    public override Tensor forward(Tensor x, Tensor timesteps, Tensor textEmbed, Tensor textHidden, Tensor? textMask)
    {
        long b = x.shape[0];
        var outputDtype = x.dtype;
        // The schedule's float32 noise meets the weights' dtype here (bf16 training).
        var dtype = positional_embedding.dtype;
        (x, textEmbed, textHidden) = (x.to(dtype), textEmbed.to(dtype), textHidden.to(dtype));
        if (textHidden.shape[1] != Config.NumEmbeddings)
            throw new ArgumentException($"Text hidden states have {textHidden.shape[1]} tokens; the prior expects {Config.NumEmbeddings}.", nameof(textHidden));
        var tokens = cat([
            encoder_hidden_states_proj.forward(textHidden),
            embedding_proj.forward(textEmbed).unsqueeze(1),
            time_embedding.call(TimestepEmbedding.Sinusoidal(timesteps.expand(b), Config.InnerDim).to(dtype)).unsqueeze(1),
            proj_in.forward(x).unsqueeze(1),
            prd_embedding.expand(b, -1, -1),
        ], 1) + positional_embedding;
        long l = tokens.shape[1];
        var mask = full(l, l, -10000f, device: x.device).triu(1).unsqueeze(0);
        if (textMask is not null)
        {
            var keys = functional.pad((1 - textMask.to(float32)) * -10000f, [0, Config.AdditionalEmbeddings]);
            mask = mask + keys.unsqueeze(1);
        }
        mask = mask.expand(b, -1, -1).to(dtype);
        foreach (var block in transformer_blocks) tokens = block.forward(tokens, null, mask);
        return proj_to_clip_embeddings.forward(norm_out.forward(tokens)[.., -1]).to(outputDtype);
    }

    /// <summary>From the prior's normalised units to CLIP image-embedding units (diffusers' post_process_latents).</summary>
    public Tensor Denormalize(Tensor x) => x * clip_std + clip_mean;

    /// <summary>From CLIP image-embedding units to the prior's normalised units (the training target).</summary>
    public Tensor Normalize(Tensor imageEmbed) => (imageEmbed - clip_mean) / clip_std;

    /// <summary>Sets the image-embedding statistics, e.g. measured on the training set before training.</summary>
    public void SetStatistics(Tensor mean, Tensor std)
    {
        using var _ = no_grad();
        clip_mean.copy_(mean.view(1, -1));
        clip_std.copy_(std.view(1, -1));
    }
}
