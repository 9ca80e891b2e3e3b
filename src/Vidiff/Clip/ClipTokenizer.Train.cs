namespace Vidiff.Clip;

public sealed partial class ClipTokenizer
{
    /// <summary>
    /// Learns BPE merges on a caption corpus (for the project's own small CLIP). The vocab is laid out as CLIP's:
    /// the 256 byte symbols, the same with "&lt;/w&gt;", one token per merge, then the start and end tokens.
    /// Most frequent pair first; ties go to the ordinally smallest pair so training is deterministic.
    /// </summary>
    public static ClipTokenizer Train(IEnumerable<string> corpus, int vocabSize)
    {
        var order = ByteOrder();
        var vocab = new List<string>();
        vocab.AddRange(order.Select(b => ByteToUnicode[b].ToString()));
        vocab.AddRange(order.Select(b => ByteToUnicode[b] + EndOfWord));
        int mergeCount = vocabSize - vocab.Count - 2;
        if (mergeCount < 0) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"a CLIP vocab holds at least {vocab.Count + 2} tokens");

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in corpus)
            foreach (var word in PreTokenize(Clean(line)))
                if (word is not (StartToken or EndToken))
                    counts[ByteEncode(word)] = counts.GetValueOrDefault(ByteEncode(word)) + 1;
        var words = counts.Select(kv => (Symbols: Symbols(kv.Key), Count: kv.Value)).ToList();

        var known = new HashSet<string>(vocab, StringComparer.Ordinal);
        var merges = new List<(string, string)>();
        while (merges.Count < mergeCount)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            // A merge whose result is already a token would give that token two ids; CLIP's vocab has none.
            var best = pairs.Where(kv => !known.Contains(kv.Key.Item1 + kv.Key.Item2))
                .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal)
                .Select(kv => kv.Key).FirstOrDefault();
            if (best == default) break;
            merges.Add(best);
            known.Add(best.Item1 + best.Item2);
            vocab.Add(best.Item1 + best.Item2);
            foreach (var (symbols, _) in words) Merge(symbols, best);
        }
        vocab.Add(StartToken);
        vocab.Add(EndToken);
        return new ClipTokenizer(vocab.Select((t, id) => (t, id)).ToDictionary(x => x.t, x => x.id), merges);
    }

    /// <summary>Bytes in the order of CLIP's vocab: the printable ones first, then the remapped ones.</summary>
    static IEnumerable<int> ByteOrder() =>
        Enumerable.Range(0, 256).Where(b => ByteToUnicode[b] == b).Concat(Enumerable.Range(0, 256).Where(b => ByteToUnicode[b] != b));

    static List<string> Symbols(string word)
    {
        var symbols = word.Select(c => c.ToString()).ToList();
        symbols[^1] += EndOfWord;
        return symbols;
    }

    static void Merge(List<string> symbols, (string First, string Second) pair)
    {
        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] != pair.First || symbols[i + 1] != pair.Second) continue;
            symbols[i] = pair.First + pair.Second;
            symbols.RemoveAt(i + 1);
        }
    }
}
