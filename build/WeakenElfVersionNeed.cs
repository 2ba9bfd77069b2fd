using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one GNU version requirement (an ELF SHT_GNU_verneed auxiliary entry) of a shared library as weak, so the
/// dynamic loader only warns when the installed libstdc++ lacks that version. Refuses when any dynamic relocation
/// refers to a symbol of that version, since weakening would then hide a real missing symbol.
/// </summary>
public sealed class WeakenElfVersionNeed : Task
{
    private const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;

    [Required] public string LibraryPath { get; set; } = "";
    [Required] public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        byte[] elf = File.ReadAllBytes(LibraryPath);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
            || elf[4] != 2 || elf[5] != 1)
        {
            Log.LogError($"{LibraryPath}: not a little-endian ELF64 file");
            return false;
        }

        ulong shoff = U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        int verneed = -1, versym = -1, dynsym = -1;
        for (int i = 0; i < shnum; i++)
        {
            uint type = U32(elf, (int)shoff + i * shentsize + 4);
            if (type == ShtGnuVerneed) verneed = i;
            else if (type == ShtGnuVersym) versym = i;
            else if (type == ShtDynsym) dynsym = i;
        }
        if (verneed < 0 || versym < 0 || dynsym < 0)
        {
            Log.LogMessage(MessageImportance.Low, $"{LibraryPath}: no version requirements; nothing to do");
            return true;
        }

        int Sh(int index, int field) => (int)shoff + index * shentsize + field;
        int strtab = (int)U64(elf, Sh((int)U32(elf, Sh(verneed, 40)), 24));
        int vnOffset = (int)U64(elf, Sh(verneed, 24));
        uint vnCount = U32(elf, Sh(verneed, 44));

        int auxOffset = -1;
        ushort versionIndex = 0;
        for (uint n = 0; n < vnCount && auxOffset < 0; n++)
        {
            int auxCount = U16(elf, vnOffset + 2);
            int aux = vnOffset + (int)U32(elf, vnOffset + 8);
            for (int a = 0; a < auxCount; a++)
            {
                if (CString(elf, strtab + (int)U32(elf, aux + 8)) == VersionName)
                {
                    auxOffset = aux;
                    versionIndex = U16(elf, aux + 6);
                    break;
                }
                aux += (int)U32(elf, aux + 12);
            }
            vnOffset += (int)U32(elf, vnOffset + 12);
        }
        if (auxOffset < 0)
        {
            Log.LogMessage(MessageImportance.Low, $"{LibraryPath}: does not require {VersionName}; nothing to do");
            return true;
        }
        if ((U16(elf, auxOffset + 4) & VerFlgWeak) != 0)
        {
            Log.LogMessage(MessageImportance.Low, $"{LibraryPath}: {VersionName} already weak");
            return true;
        }

        int versymOffset = (int)U64(elf, Sh(versym, 24));
        for (int i = 0; i < shnum; i++)
        {
            uint type = U32(elf, Sh(i, 4));
            if ((type != ShtRela && type != ShtRel) || U32(elf, Sh(i, 40)) != dynsym) continue;
            int offset = (int)U64(elf, Sh(i, 24));
            int size = (int)U64(elf, Sh(i, 32));
            int entsize = (int)U64(elf, Sh(i, 56));
            for (int r = offset; r + entsize <= offset + size; r += entsize)
            {
                uint symbol = (uint)(U64(elf, r + 8) >> 32);
                if (symbol != 0 && (U16(elf, versymOffset + 2 * (int)symbol) & 0x7fff) == versionIndex)
                {
                    Log.LogError($"{LibraryPath}: a relocation uses a {VersionName} symbol; refusing to weaken it");
                    return false;
                }
            }
        }

        ushort flags = (ushort)(U16(elf, auxOffset + 4) | VerFlgWeak);
        elf[auxOffset + 4] = (byte)flags;
        elf[auxOffset + 5] = (byte)(flags >> 8);
        string temporary = LibraryPath + ".patching";
        File.WriteAllBytes(temporary, elf);
        File.Replace(temporary, LibraryPath, null); // atomic rename over the old copy
        Log.LogMessage(MessageImportance.High, $"Marked {VersionName} weak in {LibraryPath}");
        return true;
    }

    private static ushort U16(byte[] b, int o) => (ushort)(b[o] | b[o + 1] << 8);
    private static uint U32(byte[] b, int o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
    private static ulong U64(byte[] b, int o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

    private static string CString(byte[] b, int o)
    {
        int end = o;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, o, end - o);
    }
}
