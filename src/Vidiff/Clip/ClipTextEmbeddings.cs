using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vidiff.Clip;

/// <summary>transformers' CLIPTextEmbeddings: token plus learned absolute position embeddings.</summary>
public sealed class ClipTextEmbeddings : Module<Tensor, Tensor>
{
    readonly Embedding token_embedding, position_embedding;

    public ClipTextEmbeddings(ClipTextConfig config) : base(nameof(ClipTextEmbeddings))
    {
        token_embedding = Embedding(config.VocabSize, config.HiddenSize);
        position_embedding = Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        using (no_grad())
        {
            init.normal_(token_embedding.weight!, 0, 0.02);
            init.normal_(position_embedding.weight!, 0, 0.02);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        long t = ids.shape[1], max = position_embedding.weight!.shape[0];
        if (t > max)
            throw new ArgumentException($"Token sequence of length {t} is longer than the text tower's {max} positions.", nameof(ids));
        return token_embedding.forward(ids) + position_embedding.forward(arange(t, device: ids.device)).unsqueeze(0);
    }
}
