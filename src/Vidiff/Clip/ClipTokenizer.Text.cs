using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Vidiff.Clip;

public sealed partial class ClipTokenizer
{
    // GPT-2/CLIP byte-to-unicode table: printable bytes map to themselves, the rest to U+0100.. so every
    // byte is a visible character and no token contains whitespace.
    internal static readonly char[] ByteToUnicode = BuildByteToUnicode();
    static readonly Dictionary<char, byte> UnicodeToByte = ByteToUnicode.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    static char[] BuildByteToUnicode()
    {
        var map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }

    /// <summary>
    /// The references' basic_clean + whitespace_clean + lower. ftfy.fix_text is reproduced for its
    /// character-level fixes (HTML entities, terminal escapes, ligatures, full width, curly quotes, control characters)
    /// but not its mojibake repair or NFC normalisation (unavailable under invariant globalisation).
    /// </summary>
    internal static string Clean(string text)
    {
        // ftfy fixes line by line, each to a fixed point, and stops decoding entities from the first line that looks like HTML.
        var fixedText = new StringBuilder();
        bool entities = true;
        foreach (var line in LineSegments().Split(text))
        {
            entities &= !line.Contains('<');
            var fixedLine = line;
            for (string before = ""; before != fixedLine;)
            {
                before = fixedLine;
                if (entities) fixedLine = HtmlEntity().Replace(fixedLine, m => WebUtility.HtmlDecode(m.Value));
                fixedLine = FtfyCharacters(TerminalEscape().Replace(fixedLine, ""));
            }
            fixedText.Append(fixedLine);
        }
        var cleaned = WebUtility.HtmlDecode(WebUtility.HtmlDecode(fixedText.ToString())).Trim();
        return Lower(Whitespace().Replace(cleaned, " ").Trim());
    }

    static string FtfyCharacters(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case <= '\x08' or '\x0B' or >= '\x0E' and <= '\x1F' or '\x7F' or >= '\u206A' and <= '\u206F' or '\uFEFF' or >= '\uFFF9' and <= '\uFFFC':
                    break;
                case '\u02BC' or >= '\u2018' and <= '\u201B':
                    sb.Append('\'');
                    break;
                case >= '\u201C' and <= '\u201F':
                    sb.Append('"');
                    break;
                case '\u3000':
                    sb.Append(' ');
                    break;
                case >= '\uFF01' and <= '\uFF5E':
                    sb.Append((char)(c - 0xFF01 + '!'));
                    break;
                default:
                    sb.Append(Ligatures.TryGetValue(c, out var expanded) ? expanded : c.ToString());
                    break;
            }
        }
        return sb.ToString();
    }

    // ftfy's LIGATURES: Latin typographic ligatures and the digraphs made for Cyrillic conversion.
    static readonly Dictionary<char, string> Ligatures = "Ĳ:IJ ĳ:ij ŉ:ʼn Ǳ:DZ ǲ:Dz ǳ:dz Ǆ:DŽ ǅ:Dž ǆ:dž Ǉ:LJ ǈ:Lj ǉ:lj Ǌ:NJ ǋ:Nj ǌ:nj ﬀ:ff ﬁ:fi ﬂ:fl ﬃ:ffi ﬄ:ffl ﬅ:ſt ﬆ:st"
        .Split(' ').ToDictionary(p => p[0], p => p[2..]);

    // Python's str.lower(): the invariant mapping plus the context rules it adds (dotted capital I, final sigma).
    static string Lower(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            var rune = Rune.GetRuneAt(text, i);
            if (rune.Value == 0x130) sb.Append("i\u0307");
            else if (rune.Value == 'Σ' && i > 0 && char.IsLetter(text[i - 1]) && (i + 1 == text.Length || !char.IsLetter(text[i + 1]))) sb.Append('ς');
            else sb.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return sb.ToString();
    }

    /// <summary>
    /// CLIP's pre-tokenisation, <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>,
    /// scanned by code point so letters and digits beyond the BMP count as letters and digits, as in Python.
    /// </summary>
    internal static IEnumerable<string> PreTokenize(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            var kind = Kind(text, i);
            if (kind == ' ')
            {
                i += Rune.GetRuneAt(text, i).Utf16SequenceLength;
                continue;
            }
            int start = i;
            var special = new[] { StartToken, EndToken, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" }
                .FirstOrDefault(s => text.AsSpan(i).StartsWith(s, StringComparison.OrdinalIgnoreCase));
            if (special is not null) i += special.Length;
            else if (kind == 'N') i += Rune.GetRuneAt(text, i).Utf16SequenceLength;
            else
                while (i < text.Length && Kind(text, i) == kind) i += Rune.GetRuneAt(text, i).Utf16SequenceLength;
            yield return text[start..i];
        }
    }

    /// <summary>'L' letter, 'N' number, ' ' whitespace, 'P' anything else.</summary>
    static char Kind(string text, int i)
    {
        var rune = Rune.TryGetRuneAt(text, i, out var r) ? r : Rune.ReplacementChar;
        if (Rune.IsWhiteSpace(rune)) return ' ';
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => 'L',
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => 'N',
            _ => 'P',
        };
    }

    static string ByteEncode(string word) => string.Concat(Encoding.UTF8.GetBytes(word).Select(b => ByteToUnicode[b]));

    /// <summary>Merges the symbols of one word, lowest-ranked pair first, until no ranked pair remains.</summary>
    string[] Bpe(string word) => cache.GetOrAdd(word, w =>
    {
        var symbols = Symbols(w);
        while (symbols.Count > 1)
        {
            int best = int.MaxValue;
            (string, string) pair = default;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out var r) && r < best) (best, pair) = (r, (symbols[i], symbols[i + 1]));
            if (best == int.MaxValue) break;
            Merge(symbols, pair);
        }
        return symbols.ToArray();
    });

    [GeneratedRegex(@"&#?[0-9A-Za-z]{1,24};")]
    private static partial Regex HtmlEntity();

    [GeneratedRegex("(?<=\n)")]
    private static partial Regex LineSegments();

    [GeneratedRegex(@"\x1b\[[0-9;]*[a-zA-Z]")]
    private static partial Regex TerminalEscape();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
