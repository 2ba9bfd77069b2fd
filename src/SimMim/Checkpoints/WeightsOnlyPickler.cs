using System.Buffers.Binary;
using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>
/// A protocol-2 pickler that emits only what PyTorch 1.13's weights-only unpickler
/// (torch/_weights_only_unpickler.py) accepts: opcodes PROTO, STOP, MARK, NONE, NEWTRUE/NEWFALSE, BININT/1/2, LONG1,
/// BINUNICODE, EMPTY_DICT/LIST/TUPLE, TUPLE/1/2/3, APPENDS, SETITEMS, GLOBAL, REDUCE, BINPERSID; globals
/// collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the torch.*Storage classes.
/// </summary>
/// <remarks>
/// 1.13 has no float opcode in that list (BINFLOAT is refused as "Unsupported operand 71"), so a Python float is
/// written as a 0-d float64 tensor; code reading such a file back gets a tensor where it wrote a double. A
/// <c>Dictionary&lt;string, Tensor&gt;</c> (a state dict) and an ordered <see cref="PickleDict"/> become
/// OrderedDicts, other dictionaries plain dicts; object arrays become tuples, other enumerables lists.
/// </remarks>
internal sealed class WeightsOnlyPickler(Stream output, Func<Tensor, string> storeTensor)
{
    private const int Batch = 1000;  // as pickle.py batches APPENDS/SETITEMS

    public void Dump(object? value)
    {
        output.Write([0x80, 2]);   // PROTO 2
        Write(value);
        output.WriteByte(0x2e);    // STOP
    }

    private void Write(object? value)
    {
        switch (value)
        {
            case null: output.WriteByte(0x4e); break;
            case bool b: output.WriteByte(b ? (byte)0x88 : (byte)0x89); break;
            case string s: WriteString(s); break;
            case int or long or short or byte or sbyte or uint or ushort: WriteInt(Convert.ToInt64(value)); break;
            case double or float or decimal: WriteTensor(tensor(Convert.ToDouble(value), ScalarType.Float64), dispose: true); break;
            case Tensor t: WriteTensor(t, dispose: false); break;
            case PickleDict { IsOrderedDict: true } d: WriteDict(d, ordered: true); break;
            case IDictionary<string, Tensor> stateDict: WriteDict((IDictionary)stateDict, ordered: true); break;
            case IDictionary d: WriteDict(d, ordered: false); break;
            case object?[] tuple: WriteTuple(tuple); break;
            case ITuple tuple: WriteTuple([.. Enumerable.Range(0, tuple.Length).Select(i => tuple[i])]); break;
            case byte[]: throw new NotSupportedException("bytes cannot be written for weights-only loading; use a uint8 tensor");
            case IEnumerable items: WriteList(items); break;
            default: throw new NotSupportedException($"cannot write a {value.GetType().Name} into a torch.save file");
        }
    }

    private void WriteInt(long v)
    {
        if (v is >= 0 and <= byte.MaxValue)
        {
            output.Write([0x4b, (byte)v]);                                          // BININT1
        }
        else if (v is >= 0 and <= ushort.MaxValue)
        {
            output.WriteByte(0x4d);                                                 // BININT2
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v);
            output.Write(b);
        }
        else if (v is >= int.MinValue and <= int.MaxValue)
        {
            output.WriteByte(0x4a);                                                 // BININT
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            output.Write(b);
        }
        else
        {
            var bytes = new System.Numerics.BigInteger(v).ToByteArray();            // little-endian two's complement
            output.Write([0x8a, (byte)bytes.Length]);                               // LONG1
            output.Write(bytes);
        }
    }

    private void WriteString(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        output.WriteByte(0x58);                                                     // BINUNICODE
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
        output.Write(length);
        output.Write(bytes);
    }

    private void WriteGlobal(string module, string name) => output.Write(Encoding.ASCII.GetBytes($"c{module}\n{name}\n"));

    private void WriteTuple(IReadOnlyList<object?> items)
    {
        switch (items.Count)
        {
            case 0: output.WriteByte(0x29); return;                                 // EMPTY_TUPLE
            case <= 3:
                foreach (var item in items) Write(item);
                output.WriteByte((byte)(0x84 + items.Count));                       // TUPLE1/2/3
                return;
            default:
                output.WriteByte(0x28);                                             // MARK
                foreach (var item in items) Write(item);
                output.WriteByte(0x74);                                             // TUPLE
                return;
        }
    }

    private void WriteList(IEnumerable items)
    {
        output.WriteByte(0x5d);                                                     // EMPTY_LIST
        foreach (var chunk in items.Cast<object?>().Chunk(Batch))
        {
            output.WriteByte(0x28);
            foreach (var item in chunk) Write(item);
            output.WriteByte(0x65);                                                 // APPENDS
        }
    }

    private void WriteDict(IDictionary dict, bool ordered)
    {
        if (ordered)
        {
            WriteGlobal("collections", "OrderedDict");
            output.Write([0x29, 0x52]);                                             // EMPTY_TUPLE REDUCE
        }
        else
        {
            output.WriteByte(0x7d);                                                 // EMPTY_DICT
        }
        foreach (var chunk in Entries(dict).Chunk(Batch))
        {
            output.WriteByte(0x28);
            foreach (var entry in chunk)
            {
                Write(entry.Key);
                Write(entry.Value);
            }
            output.WriteByte(0x75);                                                 // SETITEMS
        }
    }

    // IDictionary's enumerator yields DictionaryEntry only through IDictionaryEnumerator (generic dictionaries box
    // KeyValuePairs through plain IEnumerable).
    private static IEnumerable<DictionaryEntry> Entries(IDictionary dict)
    {
        var e = dict.GetEnumerator();
        while (e.MoveNext()) yield return e.Entry;
    }

    /// <summary>_rebuild_tensor_v2(storage, 0, size, contiguous stride, False, OrderedDict()).</summary>
    private void WriteTensor(Tensor t, bool dispose)
    {
        try
        {
            string key = storeTensor(t);
            WriteGlobal("torch._utils", "_rebuild_tensor_v2");
            output.WriteByte(0x28);                                                 // MARK (args tuple)
            output.WriteByte(0x28);                                                 // MARK (persistent id tuple)
            WriteString("storage");
            WriteGlobal("torch", StorageName(t.dtype));
            WriteString(key);
            WriteString("cpu");
            WriteInt(t.NumberOfElements);
            output.Write([0x74, 0x51]);                                             // TUPLE BINPERSID
            WriteInt(0);
            WriteTuple([.. t.shape.Select(d => (object?)d)]);
            WriteTuple([.. ContiguousStrides(t.shape).Select(d => (object?)d)]);
            output.WriteByte(0x89);                                                 // requires_grad False
            WriteDict(new Hashtable(), ordered: true);                              // backward hooks
            output.Write([0x74, 0x52]);                                             // TUPLE REDUCE
        }
        finally
        {
            if (dispose) t.Dispose();
        }
    }

    private static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    private static string StorageName(ScalarType dtype) =>
        SafeUnpickler.StorageClasses.FirstOrDefault(c => c.DType == dtype).Name
        ?? throw new NotSupportedException($"cannot write a {dtype} tensor into a torch.save file");
}
