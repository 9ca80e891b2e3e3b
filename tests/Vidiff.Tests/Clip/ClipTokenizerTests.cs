using System.Text.Json;
using Vidiff.Clip;
using Vidiff.Tests.Checkpoints;

namespace Vidiff.Tests.Clip;

public class ClipTokenizerTests
{
    static readonly string Dir = Fixtures.Path("tokenizer");
    static readonly ClipTokenizer Tokenizer = ClipTokenizer.Load(Dir);

    public static TheoryData<int> Cases() => new(Enumerable.Range(0, Reference().Count));

    static List<(string Text, int[] Ids, int[] Context)> Reference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "expected.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => (
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            c.GetProperty("context").EnumerateArray().Select(x => x.GetInt32()).ToArray())).ToList();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void IdsEqualOpenAiReference(int index)
    {
        var (text, ids, context) = Reference()[index];
        Assert.Equal(ids, Tokenizer.Tokenize(text));
        var padded = context.Concat(Enumerable.Repeat(Tokenizer.EndId, 77 - context.Length)).ToArray();
        Assert.Equal(padded, Tokenizer.Encode(text));
    }

    [Fact]
    public void ReferenceCoversTruncation() =>
        Assert.Contains(Reference(), c => c.Ids.Length > 75 && c.Context.Length == 77);

    [Fact]
    public void TrainingReproducesCommittedVocab()
    {
        using var dir = new Fixtures.TempDir();
        var trained = ClipTokenizer.Train(File.ReadLines(Path.Combine(Dir, "corpus.txt")), 768);
        trained.Save(dir.Root);
        Assert.Equal(File.ReadAllText(Path.Combine(Dir, "vocab.json")), File.ReadAllText(dir["vocab.json"]));
        Assert.Equal(File.ReadAllText(Path.Combine(Dir, "merges.txt")), File.ReadAllText(dir["merges.txt"]));
    }

    [Fact]
    public void VocabIsLaidOutAsClips()
    {
        using var dir = new Fixtures.TempDir();
        var trained = ClipTokenizer.Train(["a cat", "a cat", "a hat"], 520);
        // Only three pairs ever occur, so training stops short of the requested size.
        Assert.Equal([("a", "t</w>"), ("c", "at</w>"), ("h", "at</w>")], trained.Merges);
        Assert.Equal((517, 515, 516), (trained.VocabSize, trained.StartId, trained.EndId));
        trained.Save(dir.Root);
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(dir["vocab.json"]))!;
        // CLIP's order: printable bytes first ("!" is 0, "a</w>" is 320 as in OpenAI's vocab), then the remapped
        // ones (the space byte is "Ġ", 220), then their "</w>" forms, the merges and the two special tokens.
        Assert.Equal((0, 220, 256, 320, 512, 514), (vocab["!"], vocab["Ġ"], vocab["!</w>"], vocab["a</w>"], vocab["at</w>"], vocab["hat</w>"]));
        Assert.Equal(515, vocab["<|startoftext|>"]);
        Assert.Equal([515, 320, 513, 516, 516], trained.Encode("A  CAT", length: 5));
        Assert.Equal("a cat", trained.Decode(trained.Encode("A  CAT")));
    }

    [Fact]
    public void PadsTruncatesAndDecodes()
    {
        var tok = new ClipTokenizer(Load("vocab"), Tokenizer.Merges) { PadId = 0 };
        var ids = tok.Encode("a red cube", length: 8);
        Assert.Equal([tok.StartId, .. tok.Tokenize("a red cube"), tok.EndId, 0, 0, 0], ids);
        var cut = tok.Encode("a red cube on a blue floor under a cloudy sky", length: 6);
        Assert.Equal([tok.StartId, .. tok.Tokenize("a red cube on")[..4], tok.EndId], cut);
        Assert.Equal("a red cube , it 's café 🐱", tok.Decode(tok.Encode("A Red cube, it's café 🐱")));
    }

    [Fact]
    public void MalformedMergesNameFileAndLine()
    {
        using var dir = new Fixtures.TempDir();
        File.Copy(Path.Combine(Dir, "vocab.json"), dir["vocab.json"]);
        File.WriteAllText(dir["merges.txt"], "#version: 0.2\ni n\nbroken\n");
        var ex = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(dir.Root));
        Assert.Contains(dir["merges.txt"] + " line 3", ex.Message);
    }

    static Dictionary<string, int> Load(string name) =>
        JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(Dir, name + ".json")))!;
}
