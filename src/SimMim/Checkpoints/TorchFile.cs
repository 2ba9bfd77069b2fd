using System.Buffers.Binary;
using System.Collections;
using System.IO.Compression;
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>
/// Reads and writes files in torch.save's format without running anything from them. Reading accepts the zip format
/// (PyTorch ≥ 1.6) and the legacy format (<c>_use_new_zipfile_serialization=False</c>); see
/// <see cref="SafeUnpickler"/> for what is built. Writing produces zip files that PyTorch 1.13 and later load with
/// <c>torch.load(..., weights_only=True)</c> (see <see cref="WeightsOnlyPickler"/>).
/// </summary>
public static class TorchFile
{
    // torch/serialization.py: MAGIC_NUMBER and PROTOCOL_VERSION of the legacy format.
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    private const long LegacyProtocol = 1001;

    /// <summary>Reads a torch.save file into plain values, containers and tensors (see <see cref="SafeUnpickler"/>).</summary>
    /// <exception cref="CheckpointException">Missing, corrupt or unsupported file; the message names it.</exception>
    public static object? Load(string path)
    {
        if (!File.Exists(path))
            throw new CheckpointException($"{path}: file not found");
        try
        {
            using var stream = File.OpenRead(path);
            if (IsZip(stream)) return LoadZip(stream);
            if (IsSafetensors(stream))
                throw new CheckpointException($"{path}: a safetensors file (weights only), not a torch.save checkpoint");
            return LoadLegacy(stream);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or NotSupportedException)
        {
            throw new CheckpointException($"{path}: not a readable PyTorch checkpoint ({e.Message})", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> as torch.save would (a zip with data.pkl and one record per tensor) using only
    /// what PyTorch's weights-only unpickler accepts. Atomic (see <see cref="AtomicFile"/>).
    /// </summary>
    public static void Save(string path, object? value) =>
        AtomicFile.Write(path, stream => Save(stream, value, Path.GetFileNameWithoutExtension(path)));

    /// <inheritdoc cref="Save(string, object?)"/>
    public static void Save(Stream stream, object? value, string archiveName = "archive")
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        string prefix = SafeArchiveName(archiveName) + "/";
        int next = 0;
        using var pickle = new MemoryStream();
        new WeightsOnlyPickler(pickle, tensor =>
        {
            string key = (next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var data = archive.CreateEntry(prefix + "data/" + key, CompressionLevel.NoCompression).Open();
            using var contiguous = tensor.detach().cpu().contiguous();
            contiguous.WriteBytesToStream(data);
            return key;
        }).Dump(value);
        using (var entry = archive.CreateEntry(prefix + "data.pkl", CompressionLevel.NoCompression).Open())
            pickle.WriteTo(entry);
        using (var version = new StreamWriter(archive.CreateEntry(prefix + "version").Open()))
            version.Write("3\n");
    }

    /// <summary>
    /// The model weights of a checkpoint: its 'model' entry when it has one (a training checkpoint), else the file
    /// itself when it is a dict of tensors (a state dict). Non-tensor entries are skipped.
    /// </summary>
    /// <exception cref="CheckpointException">The file holds no tensors under string keys.</exception>
    public static Dictionary<string, Tensor> StateDict(object? checkpoint, string origin)
    {
        var source = checkpoint is IDictionary top && top["model"] is IDictionary model ? model : checkpoint as IDictionary;
        var state = new Dictionary<string, Tensor>();
        if (source is not null)
        {
            foreach (DictionaryEntry entry in source)
            {
                if (entry.Key is string key && entry.Value is Tensor tensor)
                    state[key] = tensor;
            }
        }
        return state.Count > 0 ? state : throw new CheckpointException($"{origin}: holds no model weights");
    }

    /// <summary>Frees the native memory of every tensor in a loaded checkpoint (pickles may share or nest values in cycles).</summary>
    public static void DisposeTensors(object? value)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>([value]);
        while (pending.Count > 0)
        {
            object? item = pending.Pop();
            if (item is null or string or byte[] || !seen.Add(item)) continue;
            switch (item)
            {
                case Tensor tensor: tensor.Dispose(); break;
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary) pending.Push(entry.Value);
                    break;
                case PickledObject o:
                    pending.Push(o.Arguments);
                    pending.Push(o.State);
                    pending.Push(o.Items);
                    pending.Push(o.Entries);
                    break;
                case IEnumerable items:
                    foreach (object? child in items) pending.Push(child);
                    break;
            }
        }
    }

    private static bool IsZip(Stream stream)
    {
        Span<byte> head = stackalloc byte[4];
        int read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        return read == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    }

    /// <summary>safetensors' start: an 8-byte little-endian header length that fits the file, then the JSON header's '{'.</summary>
    private static bool IsSafetensors(Stream stream)
    {
        Span<byte> head = stackalloc byte[9];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        return read == head.Length && head[8] == '{'
            && BinaryPrimitives.ReadUInt64LittleEndian(head) <= (ulong)(stream.Length - 8);
    }

    private static object? LoadZip(Stream stream)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        var pklEntry = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)
            && e.FullName.Count(c => c == '/') <= 1)
            ?? throw new InvalidDataException("zip file without data.pkl (not written by torch.save)");
        string prefix = pklEntry.FullName[..^"data.pkl".Length];
        if (archive.GetEntry(prefix + "byteorder") is { } order)
        {
            using var reader = new StreamReader(order.Open());
            if (reader.ReadToEnd().Trim() != "little")
                throw new NotSupportedException("big-endian checkpoint");
        }
        if (ClaimsImpossibleSize(pklEntry, stream))
            throw new InvalidDataException("data.pkl claims an impossible size");
        var storages = new Dictionary<string, Tensor>();
        using var pickle = new MemoryStream();
        using (var s = OpenChecked(pklEntry)) s.CopyTo(pickle);
        pickle.Position = 0;
        return new SafeUnpickler(pickle, pid =>
        {
            var (dtype, key, numel) = ParsePersistentId(pid);
            if (storages.TryGetValue(key, out var cached)) return cached;
            var entry = archive.GetEntry(prefix + "data/" + key)
                ?? throw new InvalidDataException($"storage record data/{key} is missing");
            long elementSize = ElementSize(dtype);
            if (ClaimsImpossibleSize(entry, stream))
                throw new InvalidDataException($"storage record data/{key} claims an impossible size");
            if (entry.Length % elementSize != 0)
                throw new InvalidDataException($"storage record data/{key} has {entry.Length} bytes, not a whole number of {dtype}");
            // torch.save records the storage's element count in the persistent id too; both must agree.
            if (numel >= 0 && numel != entry.Length / elementSize)
                throw new InvalidDataException($"storage record data/{key} has {entry.Length / elementSize} elements, its tensors claim {numel}");
            var storage = empty(entry.Length / elementSize, dtype);
            using (var data = OpenChecked(entry)) ReadInto(storage, data, entry.Length);
            return storages[key] = storage;
        }).Load();
    }

    // Nothing is allocated for a size the file cannot hold: a record's stored bytes lie inside the file, and deflate
    // cannot exceed ~1032:1, so a larger claimed size is a lie (a bit flip, a zip bomb).
    private static bool ClaimsImpossibleSize(ZipArchiveEntry entry, Stream archive) =>
        entry.CompressedLength > archive.Length || entry.Length > Math.Max(entry.CompressedLength, 1) * 1100;

    // Every record read is checked against its zip CRC-32: a corrupt checkpoint fails to load instead of loading wrong.
    private static Crc32CheckedStream OpenChecked(ZipArchiveEntry entry) =>
        new(entry.Open(), entry.Length, entry.Crc32, $"record {entry.FullName}");

    /// <summary>
    /// Legacy layout: pickled magic number, protocol and sys_info, the object pickle (storages by persistent id
    /// ('storage', type, key, location, numel, view)), a pickled list of storage keys, then per key an int64 element
    /// count and the raw bytes. Storages are allocated while the object pickle is read and filled afterwards; the
    /// tensors built meanwhile are views of them, so they see the data.
    /// </summary>
    private static object? LoadLegacy(Stream stream)
    {
        static object? Next(Stream s) => new SafeUnpickler(s, _ => throw new InvalidDataException("unexpected persistent id")).Load();
        if (Next(stream) is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidDataException("neither a zip nor a legacy torch.save file");
        if (Next(stream) is not long protocol || protocol != LegacyProtocol)
            throw new NotSupportedException("unknown legacy torch.save protocol");
        if (Next(stream) is IDictionary sysInfo && sysInfo["little_endian"] is false)
            throw new NotSupportedException("big-endian checkpoint");
        var storages = new Dictionary<string, Tensor>();
        long claimedBytes = 0;
        var result = new SafeUnpickler(stream, pid =>
        {
            var (dtype, key, numel) = ParsePersistentId(pid);
            if (!storages.TryGetValue(key, out var root))
            {
                // Every storage's bytes follow the pickles, so all of them together must fit in what is left.
                long elementSize = ElementSize(dtype);
                if (numel < 0 || numel > (stream.Length - stream.Position - claimedBytes) / elementSize)
                    throw new InvalidDataException($"storage {key} claims {numel} elements, more than the file holds");
                claimedBytes += numel * elementSize;
                root = storages[key] = empty(numel, dtype);
            }
            // view_metadata (view_key, offset, view_size): a slice of the root storage.
            if (pid.Length > 5 && pid[5] is object?[] { Length: 3 } view && view[1] is long offset && view[2] is long size)
            {
                if (offset < 0 || size < 0 || offset > root.NumberOfElements - size)
                    throw new InvalidDataException($"storage view [{offset}, +{size}) lies outside storage {key}");
                return root.narrow(0, offset, size);
            }
            return root;
        }).Load();
        if (Next(stream) is not List<object?> keys)
            throw new InvalidDataException("legacy storage key list missing");
        Span<byte> count = stackalloc byte[8];
        foreach (var key in keys)
        {
            if (key is not string k || !storages.TryGetValue(k, out var storage))
                throw new InvalidDataException($"legacy storage {key} was never referenced");
            stream.ReadExactly(count);
            if (BinaryPrimitives.ReadInt64LittleEndian(count) != storage.NumberOfElements)
                throw new InvalidDataException($"legacy storage {k} has a different size than its tensors claim");
            ReadInto(storage, stream, storage.NumberOfElements * ElementSize(storage.dtype));
        }
        return result;
    }

    private static (ScalarType DType, string Key, long Numel) ParsePersistentId(object?[] pid)
    {
        if (pid.Length < 5 || pid[0] is not "storage" || pid[2] is not string key)
            throw new InvalidDataException("persistent id is not a storage");
        var dtype = SafeUnpickler.StorageDType(pid[1])
            ?? throw new NotSupportedException($"storage type {pid[1]} is not supported");
        if (key.Contains('/') || key.Contains('\\') || key.Contains(".."))
            throw new InvalidDataException($"storage key '{key}' is not a plain name");
        return (dtype, key, pid[4] is long n ? n : -1);
    }

    private static void ReadInto(Tensor storage, Stream data, long bytes)
    {
        if (storage.NumberOfElements * ElementSize(storage.dtype) != bytes)
            throw new InvalidDataException("storage size mismatch");
        // Both callers' streams know their position: the legacy file and a checked zip record.
        long start = data.Position;
        storage.ReadBytesFromStream(data);
        if (data.Position - start != bytes)
            throw new InvalidDataException("file ends inside a storage");
    }

    internal static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        ScalarType.ComplexFloat64 => 16,
        _ => throw new NotSupportedException($"dtype {dtype}"),
    };

    private static string SafeArchiveName(string name)
    {
        var clean = new string(name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-').ToArray());
        return clean.Length > 0 ? clean : "archive";
    }
}
