// MSBuild task (RoslynCodeTaskFactory): makes TorchSharp's libLibTorchSharp.so load on glibc++ builds
// older than GCC 13. The library names GLIBCXX_3.4.32 only for `std::ios_base_library_init`, a link-time
// anchor that is never called (see docs/ARCHITECTURE.md, "Machine facts"). We mark that version need weak and clear the
// symbol's version, which is what `patchelf --clear-symbol-version` plus a VER_FLG_WEAK edit do.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class PatchTorchSharpElf : Task
{
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    const uint ShtDynSym = 11, ShtGnuVerNeed = 0x6ffffffe, ShtGnuVerSym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2, VerNdxGlobal = 1;
    const string Version = "GLIBCXX_3.4.32", Symbol = "_ZSt21ios_base_library_initv";

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            try
            {
                var changed = PatchFile(item.ItemSpec);
                Log.LogMessage(MessageImportance.Low, $"libLibTorchSharp patch: {item.ItemSpec} {(changed ? "patched" : "already patched")}");
            }
            catch (Exception e)
            {
                Log.LogError($"cannot patch {item.ItemSpec}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    static bool PatchFile(string path)
    {
        var b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
            throw new InvalidDataException("not a little-endian ELF64 file");
        long shoff = (long)BitConverter.ToUInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);

        long Sh(int i) => shoff + (long)i * shentsize;
        uint Type(int i) => BitConverter.ToUInt32(b, (int)Sh(i) + 4);
        long Off(int i) => (long)BitConverter.ToUInt64(b, (int)Sh(i) + 0x18);
        long Size(int i) => (long)BitConverter.ToUInt64(b, (int)Sh(i) + 0x20);
        int Link(int i) => (int)BitConverter.ToUInt32(b, (int)Sh(i) + 0x28);
        string Str(int strtab, uint at)
        {
            int start = (int)(Off(strtab) + at), end = start;
            while (b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, start, end - start);
        }

        int dynsym = -1, versym = -1, verneed = -1;
        for (int i = 0; i < shnum; i++)
        {
            var t = Type(i);
            if (t == ShtDynSym) dynsym = i;
            else if (t == ShtGnuVerSym) versym = i;
            else if (t == ShtGnuVerNeed) verneed = i;
        }
        if (dynsym < 0 || versym < 0 || verneed < 0) throw new InvalidDataException("no dynamic symbol version sections");

        bool changed = false, foundVersion = false, foundSymbol = false;
        // Version needs: a chain of Elf64_Verneed, each with a chain of Elf64_Vernaux.
        long vn = Off(verneed);
        while (true)
        {
            long aux = vn + BitConverter.ToUInt32(b, (int)vn + 8);
            int cnt = BitConverter.ToUInt16(b, (int)vn + 2);
            for (int k = 0; k < cnt; k++)
            {
                if (Str(Link(verneed), BitConverter.ToUInt32(b, (int)aux + 8)) == Version)
                {
                    foundVersion = true;
                    ushort flags = BitConverter.ToUInt16(b, (int)aux + 4);
                    if ((flags & VerFlgWeak) == 0)
                    {
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(b, (int)aux + 4);
                        changed = true;
                    }
                }
                uint next = BitConverter.ToUInt32(b, (int)aux + 12);
                if (next == 0) break;
                aux += next;
            }
            uint vnNext = BitConverter.ToUInt32(b, (int)vn + 12);
            if (vnNext == 0) break;
            vn += vnNext;
        }

        long symCount = Size(dynsym) / 24;
        for (long s = 0; s < symCount; s++)
        {
            long e = Off(dynsym) + s * 24;
            if (Str(Link(dynsym), BitConverter.ToUInt32(b, (int)e)) != Symbol) continue;
            foundSymbol = true;
            int at = (int)(Off(versym) + s * 2);
            if (BitConverter.ToUInt16(b, at) != VerNdxGlobal)
            {
                BitConverter.GetBytes(VerNdxGlobal).CopyTo(b, at);
                changed = true;
            }
        }

        // A libtorch build without the GCC 13 anchor needs nothing; leave it untouched.
        if (!foundVersion && !foundSymbol) return false;
        if (changed)
        {
            var tmp = path + ".patching";
            File.WriteAllBytes(tmp, b);
            File.Delete(path);
            File.Move(tmp, path);
        }
        return changed;
    }
}
