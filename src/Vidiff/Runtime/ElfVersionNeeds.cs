using System.Buffers.Binary;
using System.Text;

namespace Vidiff.Runtime;

/// <summary>
/// Reads and edits the symbol-version requirements (.gnu.version_r) of a 64-bit little-endian ELF shared object.
/// Marking a requirement weak (VER_FLG_WEAK) lets the dynamic loader accept a library whose provider lacks that
/// version, which is how TorchSharp 0.107's shim (built against GCC 13) loads on Debian 12's libstdc++ (GCC 12).
/// </summary>
public static class ElfVersionNeeds
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    /// <summary>One version requirement: the library that must provide it, its name, and whether it is weak.</summary>
    public sealed record Requirement(string File, string Version, bool Weak, int FlagsOffset);

    public static IReadOnlyList<Requirement> Read(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF is supported");

        var span = elf.AsSpan();
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var result = new List<Requirement>();
        for (int i = 0; i < shnum; i++)
        {
            var sh = span[(int)(shoff + (long)i * shentsize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]);
            var strtab = span[(int)(shoff + (long)link * shentsize)..];
            long strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strtab[0x18..]);

            long need = offset;
            for (int n = 0; n < count; n++)
            {
                var vn = span[(int)need..];
                int cnt = BinaryPrimitives.ReadUInt16LittleEndian(vn[2..]);
                string file = CString(span, strOffset + BinaryPrimitives.ReadUInt32LittleEndian(vn[4..]));
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(vn[8..]);
                for (int a = 0; a < cnt; a++)
                {
                    var va = span[(int)aux..];
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(va[4..]);
                    string name = CString(span, strOffset + BinaryPrimitives.ReadUInt32LittleEndian(va[8..]));
                    result.Add(new Requirement(file, name, (flags & VerFlgWeak) != 0, (int)aux + 4));
                    aux += BinaryPrimitives.ReadUInt32LittleEndian(va[12..]);
                }
                need += BinaryPrimitives.ReadUInt32LittleEndian(vn[12..]);
            }
        }
        return result;
    }

    /// <summary>Sets VER_FLG_WEAK on every requirement that <paramref name="select"/> picks; returns how many changed.</summary>
    public static int MarkWeak(byte[] elf, Func<Requirement, bool> select)
    {
        int changed = 0;
        foreach (var r in Read(elf).Where(r => !r.Weak && select(r)))
        {
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(r.FlagsOffset));
            BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(r.FlagsOffset), (ushort)(flags | VerFlgWeak));
            changed++;
        }
        return changed;
    }

    static string CString(ReadOnlySpan<byte> data, long offset)
    {
        var s = data[(int)offset..];
        return Encoding.ASCII.GetString(s[..s.IndexOf((byte)0)]);
    }
}
