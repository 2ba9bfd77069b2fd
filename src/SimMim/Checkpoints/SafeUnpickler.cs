using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>
/// An allow-list unpickler (protocols 0–5) for torch.save files. It builds only primitives, containers (dict, list,
/// tuple, set, collections.OrderedDict) and tensors (torch._utils._rebuild_tensor[_v2] / _rebuild_parameter over
/// storages fetched by persistent id). Every other global is left opaque: calling, instantiating or building it
/// yields a <see cref="PickledObject"/> that records its name. Nothing named in the pickle is ever executed — unlike
/// Python's pickle, no code path here looks a name up to call it.
/// </summary>
/// <remarks>
/// Objects of other classes keep their contents: what SETITEM(S) set goes to <see cref="PickledObject.Entries"/>
/// (dict subclasses such as the reference's yacs CfgNode), what APPEND(S) add to <see cref="PickledObject.Items"/>,
/// what BUILD gives to <see cref="PickledObject.State"/>. copyreg's helpers, which pickle uses for plain
/// <c>object.__reduce_ex__</c> (<c>__newobj__</c>, and <c>_reconstructor</c> below protocol 2), are read as what they
/// stand for — "an instance of this class" — and also build only a <see cref="PickledObject"/>.
/// Values: None → null, bool, int → long (or <see cref="BigInteger"/> beyond 64 bits), float → double, str and
/// protocol-0/1 byte strings → string, bytes → byte[], tuple → object?[], list → List&lt;object?&gt;, dict and
/// OrderedDict → <see cref="PickleDict"/>, set → HashSet&lt;object?&gt;, tensors → <see cref="Tensor"/>.
/// Malformed input throws <see cref="InvalidDataException"/> (or <see cref="NotSupportedException"/> for a storage
/// type it does not know), never anything else; no length or size in the file is trusted before it is checked
/// against what is left of the stream or of the storage.
/// </remarks>
internal sealed class SafeUnpickler(Stream input, Func<object?[], Tensor> persistentLoad)
{
    private enum Callable
    {
        RebuildFromType, RebuildTensor, RebuildTensorV2, RebuildParameter, RebuildParameterWithState, OrderedDict, Size, Set,
        FrozenSet, Reconstructor, NewObject, NewObjectEx,
    }

    private sealed class StorageType(ScalarType dtype)
    {
        public ScalarType DType { get; } = dtype;
    }

    /// <summary>PyTorch's typed storage classes (module torch) and their element types, both ways.</summary>
    internal static readonly IReadOnlyList<(string Name, ScalarType DType)> StorageClasses =
    [
        ("FloatStorage", ScalarType.Float32), ("DoubleStorage", ScalarType.Float64), ("HalfStorage", ScalarType.Float16),
        ("BFloat16Storage", ScalarType.BFloat16), ("LongStorage", ScalarType.Int64), ("IntStorage", ScalarType.Int32),
        ("ShortStorage", ScalarType.Int16), ("CharStorage", ScalarType.Int8), ("ByteStorage", ScalarType.Byte),
        ("BoolStorage", ScalarType.Bool), ("ComplexFloatStorage", ScalarType.ComplexFloat32),
        ("ComplexDoubleStorage", ScalarType.ComplexFloat64),
    ];

    private static readonly Dictionary<string, object> AllowedGlobals = new Dictionary<string, object>
    {
        ["torch._tensor._rebuild_from_type_v2"] = Callable.RebuildFromType,
        ["torch._utils._rebuild_tensor"] = Callable.RebuildTensor,
        ["torch._utils._rebuild_tensor_v2"] = Callable.RebuildTensorV2,
        ["torch._utils._rebuild_parameter"] = Callable.RebuildParameter,
        ["torch._utils._rebuild_parameter_with_state"] = Callable.RebuildParameterWithState,
        ["collections.OrderedDict"] = Callable.OrderedDict,
        ["torch.Size"] = Callable.Size,
        ["builtins.set"] = Callable.Set,
        ["__builtin__.set"] = Callable.Set,
        ["builtins.frozenset"] = Callable.FrozenSet,
        ["__builtin__.frozenset"] = Callable.FrozenSet,
        // copyreg's reduce helpers (copy_reg below protocol 3): interpreted here, never looked up or called.
        ["copyreg._reconstructor"] = Callable.Reconstructor,
        ["copy_reg._reconstructor"] = Callable.Reconstructor,
        ["copyreg.__newobj__"] = Callable.NewObject,
        ["copy_reg.__newobj__"] = Callable.NewObject,
        ["copyreg.__newobj_ex__"] = Callable.NewObjectEx,
        ["copy_reg.__newobj_ex__"] = Callable.NewObjectEx,
    }.Concat(StorageClasses.Select(s => KeyValuePair.Create("torch." + s.Name, (object)new StorageType(s.DType))))
     .ToDictionary();

    private readonly Dictionary<long, object?> _memo = [];
    private readonly Stack<List<object?>> _marks = new();
    private List<object?> _stack = [];

    /// <summary>The element type a pickled storage class stands for, or null when it is not a known storage.</summary>
    public static ScalarType? StorageDType(object? storageType) => (storageType as StorageType)?.DType;

    public object? Load()
    {
        while (true)
        {
            int op = input.ReadByte();
            switch (op)
            {
                case -1: throw new InvalidDataException("pickle ends before STOP");
                case 0x2e: return Pop();                                             // STOP
                case 0x80: ReadExactly(1); break;                                    // PROTO
                case 0x95: ReadExactly(8); break;                                    // FRAME: a size hint only
                case 0x28: _marks.Push(_stack); _stack = []; break;                  // MARK
                case 0x30: Pop(); break;                                             // POP
                case 0x31: PopMark(); break;                                         // POP_MARK
                case 0x32: Push(Peek()); break;                                      // DUP
                case 0x4e: Push(null); break;                                        // NONE
                case 0x88: Push(true); break;                                        // NEWTRUE
                case 0x89: Push(false); break;                                       // NEWFALSE
                case 0x4a: Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadExactly(4))); break;   // BININT
                case 0x4b: Push((long)ReadExactly(1)[0]); break;                                        // BININT1
                case 0x4d: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadExactly(2))); break;  // BININT2
                case 0x8a: Push(DecodeLong(ReadExactly(ReadExactly(1)[0]))); break;                     // LONG1
                case 0x8b: Push(DecodeLong(ReadExactly(ReadLength(4)))); break;                         // LONG4
                case 0x47: Push(BinaryPrimitives.ReadDoubleBigEndian(ReadExactly(8))); break;           // BINFLOAT
                case 0x49: Push(ParseTextInt(ReadLine())); break;                                       // INT
                case 0x4c: Push(ParseTextLong(ReadLine())); break;                                      // LONG
                case 0x46: Push(ParseTextFloat(ReadLine())); break;                                     // FLOAT
                case 0x58: Push(Utf8(ReadExactly(ReadLength(4)))); break;                               // BINUNICODE
                case 0x8c: Push(Utf8(ReadExactly(ReadExactly(1)[0]))); break;                           // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(ReadExactly(ReadLength(8)))); break;                               // BINUNICODE8
                case 0x54: Push(Encoding.Latin1.GetString(ReadExactly(ReadLength(4)))); break;          // BINSTRING
                case 0x55: Push(Encoding.Latin1.GetString(ReadExactly(ReadExactly(1)[0]))); break;      // SHORT_BINSTRING
                case 0x42: Push(ReadExactly(ReadLength(4))); break;                                     // BINBYTES
                case 0x43: Push(ReadExactly(ReadExactly(1)[0])); break;                                 // SHORT_BINBYTES
                case 0x8e: Push(ReadExactly(ReadLength(8))); break;                                     // BINBYTES8
                case 0x96: Push(ReadExactly(ReadLength(8))); break;                                     // BYTEARRAY8
                case 0x29: Push(Array.Empty<object?>()); break;                      // EMPTY_TUPLE
                case 0x74: Push(PopMark().ToArray()); break;                         // TUPLE
                case 0x85: Push(new[] { Pop() }); break;                             // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }                 // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                case 0x5d: Push(new List<object?>()); break;                         // EMPTY_LIST
                case 0x6c: Push(PopMark()); break;                                   // LIST
                case 0x7d: Push(new PickleDict()); break;                            // EMPTY_DICT
                case 0x64: Push(SetItems(new PickleDict(), PopMark())); break;       // DICT
                case 0x8f: Push(new HashSet<object?>()); break;                      // EMPTY_SET
                case 0x91: Push(new HashSet<object?>(PopMark())); break;             // FROZENSET
                case 0x61: { var item = Pop(); Append(Peek(), [item]); break; }     // APPEND (the item is on top)
                case 0x65: { var items = PopMark(); Append(Peek(), items); break; }  // APPENDS
                case 0x90: { var items = PopMark(); Append(Peek(), items); break; }  // ADDITEMS
                case 0x73: { var v = Pop(); var k = Pop(); SetItems(Peek(), [k, v]); break; }   // SETITEM
                case 0x75: { var items = PopMark(); SetItems(Peek(), items); break; }           // SETITEMS
                case 0x71: _memo[ReadExactly(1)[0]] = Peek(); break;                                       // BINPUT
                case 0x72: _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(4))] = Peek(); break;  // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                                             // MEMOIZE
                case 0x70: _memo[ToLong(ParseTextInt(ReadLine()))] = Peek(); break;                                // PUT
                case 0x68: Push(Memo(ReadExactly(1)[0])); break;                                           // BINGET
                case 0x6a: Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(4)))); break;      // LONG_BINGET
                case 0x67: Push(Memo(ToLong(ParseTextInt(ReadLine())))); break;                                    // GET
                case 0x63: Push(Global(ReadLine(), ReadLine())); break;                                    // GLOBAL
                case 0x93: { var name = Pop(); var module = Pop(); Push(Global(AsString(module), AsString(name))); break; } // STACK_GLOBAL
                case 0x52: { var args = Pop(); var f = Pop(); Push(Call(f, AsTuple(args))); break; }       // REDUCE
                case 0x81: { var args = Pop(); var cls = Pop(); Push(Call(cls, AsTuple(args))); break; }   // NEWOBJ
                case 0x92: { Pop(); var args = Pop(); var cls = Pop(); Push(Call(cls, AsTuple(args))); break; } // NEWOBJ_EX
                case 0x69: { var g = Global(ReadLine(), ReadLine()); Push(Call(g, [.. PopMark()])); break; }  // INST
                case 0x6f: { var items = PopMark(); if (items.Count == 0) throw new InvalidDataException("OBJ without a class"); Push(Call(items[0], [.. items.Skip(1)])); break; } // OBJ
                case 0x62: { var state = Pop(); Build(Peek(), state); break; }       // BUILD
                case 0x51: Push(persistentLoad(AsTuple(Pop()))); break;              // BINPERSID
                case 0x50: Push(persistentLoad([ReadLine()])); break;                // PERSID
                default:
                    throw new InvalidDataException($"unsupported pickle opcode 0x{op:x2} at byte {input.Position - 1}");
            }
        }
    }

    private static object Global(string module, string name)
    {
        string full = $"{module}.{name}";
        return AllowedGlobals.TryGetValue(full, out var known) ? known : new PickledGlobal(module, name);
    }

    private static object? Call(object? callable, object?[] args) => callable switch
    {
        Callable.RebuildTensorV2 or Callable.RebuildTensor => RebuildTensor(args),
        // Tensor subclasses: (rebuild function, subclass, its arguments, state). The subclass stays unbuilt; the
        // tensor comes from the allow-listed rebuild function, anything else is stubbed as usual.
        Callable.RebuildFromType => args.Length >= 3 && args[2] is object?[] inner ? Call(args[0], inner)
            : throw new InvalidDataException("_rebuild_from_type_v2 with unexpected arguments"),
        Callable.RebuildParameter or Callable.RebuildParameterWithState =>
            args.Length > 0 && args[0] is Tensor data ? data : throw new InvalidDataException("_rebuild_parameter without a tensor"),
        Callable.OrderedDict => args.Length == 0 ? new PickleDict { IsOrderedDict = true }
            : SetItems(new PickleDict { IsOrderedDict = true }, Pairs(args[0])),
        Callable.Size => args.Length == 1 && args[0] is object?[] dims ? dims : throw new InvalidDataException("torch.Size without a tuple"),
        Callable.Set or Callable.FrozenSet => new HashSet<object?>(args.Length == 1 && args[0] is IEnumerable<object?> items ? items : []),
        Callable.NewObject => args.Length >= 1 ? Instance(args[0], args[1..]) : throw new InvalidDataException("__newobj__ without a class"),
        Callable.NewObjectEx => args.Length == 3 && args[1] is object?[] positional ? Instance(args[0], positional)
            : throw new InvalidDataException("__newobj_ex__ with unexpected arguments"),
        Callable.Reconstructor => Reconstruct(args),
        PickledGlobal g => new PickledObject(g.FullName, args),
        _ => throw new InvalidDataException($"pickle calls something that is not a global ({callable?.GetType().Name ?? "None"})"),
    };

    /// <summary>An instance of a pickled class, built as nothing but its name and arguments.</summary>
    private static PickledObject Instance(object? cls, object?[] args) => cls is PickledGlobal g
        ? new PickledObject(g.FullName, args)
        : throw new InvalidDataException($"an instance of {cls?.GetType().Name ?? "None"}, which is not a class name");

    /// <summary>
    /// copyreg._reconstructor(cls, base, state), how protocols 0–1 pickle an object without its own reduce: for a
    /// dict or list subclass (yacs' CfgNode) the state is its contents, kept as the object's entries or items.
    /// </summary>
    private static PickledObject Reconstruct(object?[] args)
    {
        if (args.Length != 3)
            throw new InvalidDataException("_reconstructor with unexpected arguments");
        var instance = Instance(args[0], []);
        switch (args[2])
        {
            case PickleDict contents when args[1] is PickledGlobal { Name: "dict" }:
                foreach (var (key, value) in contents) instance.Entries[key] = value;
                break;
            case List<object?> contents when args[1] is PickledGlobal { Name: "list" }:
                instance.Items.AddRange(contents);
                break;
            case null:
                break;
            default:
                // Any other builtin base (int, str, tuple…): its value is recorded as an argument.
                instance = new PickledObject(instance.ClassName, [args[2]]);
                break;
        }
        return instance;
    }

    /// <summary>The rank-count limit of a rebuilt tensor: libtorch's own, and far above any checkpoint's.</summary>
    private const int MaxDimensions = 64;

    /// <summary>
    /// (storage, storage_offset, size, stride, ...): a strided view of the storage, as PyTorch builds it. Everything is
    /// checked before libtorch sees it, so a corrupt file is an <see cref="InvalidDataException"/>, never a native
    /// error or a read outside the storage.
    /// </summary>
    private static Tensor RebuildTensor(object?[] args)
    {
        if (args.Length < 4 || args[0] is not Tensor storage || args[2] is not object?[] sizeItems || args[3] is not object?[] strideItems)
            throw new InvalidDataException("_rebuild_tensor with unexpected arguments");
        // Storages come from persistent ids as 1-D contiguous tensors (a legacy storage view is a slice of one). Any
        // other tensor here is a corrupt or hostile pickle passing a rebuilt view, whose element count says nothing
        // about the memory behind it.
        if (storage.Dimensions != 1 || (storage.NumberOfElements > 1 && storage.stride(0) != 1))
            throw new InvalidDataException("_rebuild_tensor on something that is not a storage");
        long offset = ToLong(args[1]);
        long[] size = [.. sizeItems.Select(ToLong)], stride = [.. strideItems.Select(ToLong)];
        if (size.Length != stride.Length || size.Length > MaxDimensions || offset < 0 || size.Any(s => s < 0) || stride.Any(s => s < 0))
            throw new InvalidDataException("tensor with inconsistent size/stride");
        long count = storage.NumberOfElements;
        if (offset > count)
            throw new InvalidDataException($"tensor starts at element {offset} of a storage of {count}");
        try
        {
            long elements = size.Aggregate(1L, (n, s) => checked(n * s));
            long last = offset + size.Zip(stride, (s, st) => s == 0 ? 0 : checked((s - 1) * st)).Aggregate(0L, (a, b) => checked(a + b));
            if (elements > 0 && last >= count)
                throw new InvalidDataException($"tensor reaches element {last} of a storage of {count}");
        }
        catch (OverflowException)
        {
            throw new InvalidDataException("tensor size/stride overflow");
        }
        // A legacy storage view starts inside its root storage; as_strided counts from the root.
        return storage.as_strided(size, stride, storage.storage_offset() + offset);
    }

    private static void Build(object? target, object? state)
    {
        switch (target)
        {
            case PickledObject o: o.State = state; break;
            case PickleDict d: d.Attributes = state; break;   // e.g. a state dict's _metadata
            case Tensor: break;                                // Parameter/Tensor __setstate__: hooks and flags only
            default: throw new InvalidDataException($"BUILD on {target?.GetType().Name ?? "None"}");
        }
    }

    private static void Append(object? target, List<object?> items)
    {
        switch (target)
        {
            case List<object?> list: list.AddRange(items); break;
            case HashSet<object?> set: set.UnionWith(items); break;
            case PickledObject o: o.Items.AddRange(items); break;
            default: throw new InvalidDataException($"APPEND to {target?.GetType().Name ?? "None"}");
        }
    }

    private static object? SetItems(object? target, List<object?> items)
    {
        if (items.Count % 2 != 0) throw new InvalidDataException("SETITEMS with an odd number of items");
        switch (target)
        {
            case PickleDict dict:
                for (int i = 0; i < items.Count; i += 2)
                    dict[items[i] ?? throw new InvalidDataException("a dict key is None")] = items[i + 1];
                break;
            case PickledObject o:
                for (int i = 0; i < items.Count; i += 2)
                    o.Entries[items[i] ?? throw new InvalidDataException("a dict key is None")] = items[i + 1];
                break;
            default: throw new InvalidDataException($"SETITEM on {target?.GetType().Name ?? "None"}");
        }
        return target;
    }

    private static List<object?> Pairs(object? items) =>
        items is IEnumerable<object?> seq
            ? [.. seq.SelectMany(p => p is object?[] { Length: 2 } kv ? kv : throw new InvalidDataException("OrderedDict item is not a pair"))]
            : throw new InvalidDataException("OrderedDict argument is not a list of pairs");

    private object? Memo(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw new InvalidDataException($"memo entry {index} is missing");

    private void Push(object? value) => _stack.Add(value);

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw new InvalidDataException("pickle stack underflow");

    private object? Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw new InvalidDataException("pickle MARK missing");
        var items = _stack;
        _stack = _marks.Pop();
        return items;
    }

    private byte[] ReadExactly(int count)
    {
        var buffer = new byte[count];
        input.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>A length prefix, checked against what is left in the stream before anything is allocated.</summary>
    private int ReadLength(int bytes)
    {
        var raw = ReadExactly(bytes);
        ulong length = bytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(raw) : BinaryPrimitives.ReadUInt64LittleEndian(raw);
        if (length > (ulong)(input.Length - input.Position) || length > int.MaxValue)
            throw new InvalidDataException($"pickle length {length} runs past the end of the data");
        return (int)length;
    }

    private string ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            int b = input.ReadByte();
            if (b == -1) throw new InvalidDataException("pickle ends inside a text argument");
            if (b == '\n') return Encoding.UTF8.GetString([.. bytes]);
            if (bytes.Count > 4096) throw new InvalidDataException("pickle text argument too long");
            bytes.Add((byte)b);
        }
    }

    private static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static object DecodeLong(byte[] bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;   // the cast keeps a long a long
    }

    private static object ParseTextInt(string text) => text switch
    {
        "00" => false,
        "01" => true,
        _ => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ? value
            : ParseTextLong(text),
    };

    private static object ParseTextLong(string text)
    {
        if (!BigInteger.TryParse(text.TrimEnd('L'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw new InvalidDataException($"pickle integer '{Shorten(text)}' is not a number");
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;   // the cast keeps a long a long
    }

    /// <summary>Protocol 0's FLOAT: Python's repr of a float, including inf and nan.</summary>
    private static double ParseTextFloat(string text) => text switch
    {
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        "nan" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value
            : throw new InvalidDataException($"pickle float '{Shorten(text)}' is not a number"),
    };

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "..." : text;

    private static long ToLong(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new InvalidDataException($"expected an int, got {value?.GetType().Name ?? "None"}"),
    };

    private static string AsString(object? value) => value as string ?? throw new InvalidDataException("STACK_GLOBAL needs strings");

    private static object?[] AsTuple(object? value) => value as object?[] ?? throw new InvalidDataException("expected a tuple");

}
