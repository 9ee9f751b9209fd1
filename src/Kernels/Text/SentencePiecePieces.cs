using System.Text;

namespace MMInterp.Kernels.Text;

/// <summary>The pieces of a SentencePiece tokenizer.model (ModelProto field 1: piece, score, type), read straight
/// from the protobuf wire format. Microsoft.ML.Tokenizers parses the same file but keeps scores and types internal,
/// and its BPE needs replacing (see <see cref="SentencePieceBpe"/>); the other fields are left to it.</summary>
public static class SentencePiecePieces
{
    /// <summary>sentencepiece_model.proto's SentencePiece.Type.</summary>
    public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    public sealed record Piece(string Text, float Score, PieceType Type);

    public static IReadOnlyList<Piece> Read(byte[] model, string path)
    {
        var pieces = new List<Piece>();
        var r = new Reader(model, 0, model.Length, path);
        while (!r.End)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2) pieces.Add(ReadPiece(r.Sub(), path));
            else r.Skip(wire);
        }
        if (pieces.Count == 0) throw new InvalidDataException($"{path}: no pieces (not a SentencePiece model)");
        return pieces;
    }

    static Piece ReadPiece(Reader r, string path)
    {
        string? text = null;
        float score = 0;
        var type = PieceType.Normal;
        while (!r.End)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2) text = r.String();
            else if (field == 2 && wire == 5) score = r.Float();
            else if (field == 3 && wire == 0) type = (PieceType)r.Varint();
            else r.Skip(wire);
        }
        return new Piece(text ?? throw new InvalidDataException($"{path}: a piece has no text"), score, type);
    }

    sealed class Reader(byte[] data, int pos, int end, string path)
    {
        public bool End => pos >= end;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (pos >= end) throw Bad("a varint runs past the end");
                var b = data[pos++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw Bad("a varint is longer than 10 bytes");
        }

        public Reader Sub()
        {
            var length = Varint();
            if (length > (ulong)(end - pos)) throw Bad("a field runs past the end");
            var sub = new Reader(data, pos, pos + (int)length, path);
            pos += (int)length;
            return sub;
        }

        public string String()
        {
            var sub = Sub();
            return Encoding.UTF8.GetString(data, sub.Start, sub.Length);
        }

        int Start => pos;
        int Length => end - pos;

        public float Float()
        {
            if (end - pos < 4) throw Bad("a float runs past the end");
            var f = BitConverter.ToSingle(data, pos);
            pos += 4;
            return f;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Advance(8); break;
                case 2: Sub(); break;
                case 5: Advance(4); break;
                default: throw Bad($"wire type {wire} is not protobuf's");
            }
        }

        void Advance(int n)
        {
            if (end - pos < n) throw Bad("a field runs past the end");
            pos += n;
        }

        InvalidDataException Bad(string what) => new($"{path}: not a SentencePiece model ({what})");
    }
}
