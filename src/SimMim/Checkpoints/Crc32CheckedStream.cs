namespace SimMim.Checkpoints;

/// <summary>
/// Reads one zip entry and checks it against the length and CRC-32 the zip directory records for it. .NET's
/// ZipArchive checks neither for stored (uncompressed) entries, which is how torch.save writes tensors, so without
/// this a flipped bit or a torn copy of a checkpoint would load as silently wrong weights.
/// </summary>
internal sealed class Crc32CheckedStream(Stream inner, long length, uint expected, string name) : Stream
{
    // The zip (IEEE 802.3, reflected) polynomial.
    private static readonly uint[] s_table = MakeTable(0xEDB88320u);
    private uint _crc = 0xFFFFFFFFu;
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        if (n == 0 && buffer.Length > 0 && _read < length)
            throw new InvalidDataException($"{name} ends after {_read} of its {length} bytes");
        uint crc = _crc;
        foreach (byte b in buffer[..n])
            crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        _crc = crc;
        _read += n;
        if (n > 0 && _read == length && ~_crc != expected)
            throw new InvalidDataException($"{name} fails its checksum (CRC-32 {~_crc:x8}, the zip records {expected:x8})");
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    private static uint[] MakeTable(uint polynomial)
    {
        var table = new uint[256];
        for (uint i = 0; i < table.Length; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? polynomial ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
