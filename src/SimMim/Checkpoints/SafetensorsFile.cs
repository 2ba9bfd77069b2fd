using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SimMim.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
/// header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the raw little-endian
/// tensor bytes. Nothing in it is executable, which is why Hugging Face prefers it to pickles.
/// </summary>
public static class SafetensorsFile
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100_000_000;   // the reference implementation's limit

    private static readonly Dictionary<string, ScalarType> DTypes = new()
    {
        ["F64"] = ScalarType.Float64,
        ["F32"] = ScalarType.Float32,
        ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64,
        ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16,
        ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte,
        ["BOOL"] = ScalarType.Bool,
    };

    /// <summary>The tensors of a safetensors file, in header order.</summary>
    /// <exception cref="CheckpointException">Missing or malformed file; the message names it.</exception>
    public static Dictionary<string, Tensor> Load(string path) => LoadWithMetadata(path).Tensors;

    /// <inheritdoc cref="Load"/>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        using FileStream stream = UserPaths.OpenRead(path, "safetensors file", InputKind.Checkpoint);
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeaderBytes || headerLength > (ulong)(stream.Length - 8))
                throw new InvalidDataException($"header length {headerLength} is impossible");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            long dataStart = 8 + (long)headerLength, dataLength = stream.Length - dataStart;
            var root = JsonNode.Parse(header) as JsonObject ?? throw new InvalidDataException("header is not a JSON object");
            var metadata = new Dictionary<string, string>();
            foreach (var (name, node) in root)
            {
                if (name == MetadataKey)
                {
                    foreach (var (k, v) in node as JsonObject ?? [])
                        metadata[k] = v?.GetValue<string>() ?? "";
                    continue;
                }
                var info = node as JsonObject ?? throw new InvalidDataException($"entry {name} is not an object");
                string dtypeName = info["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{name}: no dtype");
                var dtype = DTypes.TryGetValue(dtypeName, out var d) ? d : throw new NotSupportedException($"{name}: dtype {dtypeName}");
                long[] shape = [.. (info["shape"] as JsonArray ?? throw new InvalidDataException($"{name}: no shape")).Select(n => n!.GetValue<long>())];
                var offsets = info["data_offsets"] as JsonArray ?? throw new InvalidDataException($"{name}: no data_offsets");
                long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
                long bytes = shape.Aggregate(1L, (a, b) => checked(a * b)) * TorchFile.ElementSize(dtype);
                if (shape.Any(s => s < 0) || begin < 0 || end > dataLength || end - begin != bytes)
                    throw new InvalidDataException($"{name}: data_offsets [{begin}, {end}] do not fit shape and file");
                var tensor = empty(shape, dtype);
                tensors[name] = tensor;
                stream.Position = dataStart + begin;
                tensor.ReadBytesFromStream(stream);
            }
            return (tensors, metadata);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or NotSupportedException
            or JsonException or InvalidOperationException or FormatException or OverflowException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new CheckpointException($"{path}: not a readable safetensors file ({e.Message})", e);
        }
    }

    /// <summary>Writes <paramref name="tensors"/> (any device, any layout) in the given order. Atomic.</summary>
    /// <exception cref="OutputException">The file cannot be written; a previous file of that name is untouched.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        UserPaths.ReplaceAtomically(path, "safetensors file", stream => Save(stream, tensors, metadata));

    /// <inheritdoc cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header[MetadataKey] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            long bytes = tensor.NumberOfElements * TorchFile.ElementSize(tensor.dtype);
            header[name] = new JsonObject
            {
                ["dtype"] = DTypes.FirstOrDefault(kv => kv.Value == tensor.dtype).Key
                    ?? throw new NotSupportedException($"{name}: safetensors has no {tensor.dtype}"),
                ["shape"] = new JsonArray([.. tensor.shape.Select(s => (JsonNode?)JsonValue.Create(s))]),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8;   // keeps the data 8-byte aligned, as the reference writer does
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)(json.Length + padding));
        stream.Write(prefix);
        stream.Write(json);
        stream.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        foreach (var tensor in tensors.Values)
        {
            using var contiguous = tensor.detach().cpu().contiguous();
            contiguous.WriteBytesToStream(stream);
        }
    }
}
