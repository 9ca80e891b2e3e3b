using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Vidiff.Runtime;

namespace Vidiff.Clip;

/// <summary>
/// CLIP's byte-level BPE tokenizer (OpenAI CLIP simple_tokenizer / HF CLIPTokenizer), read from vocab.json + merges.txt.
/// Text is cleaned (a subset of ftfy, html unescape, whitespace collapse, lower case), split by CLIP's
/// pre-tokenisation rule, mapped byte-to-unicode and merged by rank with the "&lt;/w&gt;" end-of-word suffix.
/// Ours rather than Microsoft.ML.Tokenizers 2.0.1: its byte-level BpeTokenizer, given the same vocab, merges, regex and
/// lower-casing, matched OpenAI's ids on only 19 of the 29 fixture strings (no ftfy/html cleaning, UTF-16 regex splitting
/// letters beyond the BMP, special tokens split out before the regex).
/// </summary>
public sealed partial class ClipTokenizer
{
    public const string StartToken = "<|startoftext|>";
    public const string EndToken = "<|endoftext|>";
    const string SpecialTokensFile = "special_tokens_map.json";
    const string EndOfWord = "</w>";
    const int MaxMerges = 49152 - 256 - 2; // both references read at most this many merges

    readonly Dictionary<string, int> vocab;
    readonly string[] tokens;
    readonly Dictionary<(string, string), int> ranks;
    readonly ConcurrentDictionary<string, string[]> cache = new();

    public IReadOnlyList<(string First, string Second)> Merges { get; }
    public int VocabSize => tokens.Length;
    public int StartId { get; }
    public int EndId { get; }
    /// <summary>
    /// Fills sequences up to the context length: the end token as HF's CLIP for SD 1.x does; OpenAI's clip.tokenize uses 0,
    /// and SD 2.x's tokenizer "!" (id 0), named in its special_tokens_map.json.
    /// </summary>
    public int PadId { get; init; }

    public ClipTokenizer(IReadOnlyDictionary<string, int> vocab, IEnumerable<(string First, string Second)> merges)
    {
        this.vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        tokens = new string[vocab.Count];
        foreach (var (token, id) in vocab)
        {
            if (id < 0 || id >= tokens.Length || tokens[id] is not null) throw new ArgumentException($"vocab ids must be 0..{tokens.Length - 1}, each once; {token} has {id}");
            tokens[id] = token;
        }
        Merges = merges.Take(MaxMerges).ToArray();
        ranks = Merges.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        StartId = vocab.TryGetValue(StartToken, out var s) ? s : throw new ArgumentException($"vocab has no {StartToken}");
        EndId = vocab.TryGetValue(EndToken, out var e) ? e : throw new ArgumentException($"vocab has no {EndToken}");
        PadId = EndId;
        cache[StartToken] = [StartToken];
        cache[EndToken] = [EndToken];
    }

    /// <summary>Reads <c>vocab.json</c> and <c>merges.txt</c> (first line is a "#version" header) from a folder.</summary>
    public static ClipTokenizer Load(string directory)
    {
        string vocabPath = Path.Combine(directory, "vocab.json"), mergesPath = Path.Combine(directory, "merges.txt");
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))
                ?? throw new InvalidDataException("null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{vocabPath} is not a JSON object of token → id: {ex.Message}");
        }
        var merges = new List<(string, string)>();
        foreach (var (line, number) in File.ReadAllText(mergesPath).Trim().Split('\n').Select((l, i) => (l, i + 1)).Skip(1))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw new InvalidDataException($"{mergesPath} line {number}: expected two symbols separated by a space, got \"{line}\"");
            merges.Add((parts[0], parts[1]));
        }
        int? padId = PadToken(directory) is not { } pad ? null
            : vocab.TryGetValue(pad.Token, out var id) ? id : throw new InvalidDataException($"{pad.File}: pad_token \"{pad.Token}\" is not in {vocabPath}");
        return padId is int p ? new ClipTokenizer(vocab, merges) { PadId = p } : new ClipTokenizer(vocab, merges);
    }

    /// <summary>Hugging Face's pad_token, from special_tokens_map.json or tokenizer_config.json: a string or {"content": …}.</summary>
    static (string Token, string File)? PadToken(string directory)
    {
        foreach (var name in new[] { SpecialTokensFile, "tokenizer_config.json" })
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path)) continue;
            try
            {
                using var json = JsonDocument.Parse(File.ReadAllText(path));
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("pad_token", out var pad))
                {
                    var token = pad.ValueKind == JsonValueKind.Object && pad.TryGetProperty("content", out var content) ? content.GetString() : pad.ValueKind == JsonValueKind.String ? pad.GetString() : null;
                    if (token is not null) return (token, path);
                }
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path} is not valid JSON: {e.Message}");
            }
        }
        return null;
    }

    /// <summary>Writes vocab.json (ids in order) and merges.txt in the format <see cref="Load"/> and HF read.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, "vocab.json"), stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true });
            w.WriteStartObject();
            for (int id = 0; id < tokens.Length; id++) w.WriteNumber(tokens[id], id);
            w.WriteEndObject();
        });
        AtomicFile.Write(Path.Combine(directory, "merges.txt"), stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
            w.WriteLine("#version: 0.2");
            foreach (var (a, b) in Merges) w.WriteLine($"{a} {b}");
        });
        if (PadId != EndId)
            AtomicFile.Write(Path.Combine(directory, SpecialTokensFile), stream => JsonSerializer.Serialize(stream, new Dictionary<string, string> { ["pad_token"] = tokens[PadId] }));
    }

    /// <summary>Token ids of <paramref name="text"/> in a fixed-length context: start, tokens, end, padding; over-long text keeps the end token last.</summary>
    public int[] Encode(string text, int length = 77)
    {
        var ids = new int[length];
        Array.Fill(ids, PadId);
        var body = Tokenize(text);
        int n = Math.Min(body.Count, length - 2);
        ids[0] = StartId;
        for (int i = 0; i < n; i++) ids[i + 1] = body[i];
        ids[n + 1] = EndId;
        return ids;
    }

    /// <summary>BPE token ids of the cleaned text, without start/end tokens or padding.</summary>
    public List<int> Tokenize(string text)
    {
        var ids = new List<int>();
        foreach (var word in PreTokenize(Clean(text)))
            foreach (var token in Bpe(ByteEncode(word)))
                ids.Add(vocab.TryGetValue(token, out var id) ? id : EndId); // HF maps unknown tokens to <|endoftext|>
        return ids;
    }

    /// <summary>Text of the ids (start, end and pad tokens dropped), words separated by single spaces.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = string.Concat(ids.Where(id => id != StartId && id != EndId && id != PadId).Select(id => tokens[id]));
        var bytes = text.Where(UnicodeToByte.ContainsKey).Select(c => UnicodeToByte[c]).ToArray();
        return Encoding.UTF8.GetString(bytes).Replace(EndOfWord, " ").Trim();
    }
}
