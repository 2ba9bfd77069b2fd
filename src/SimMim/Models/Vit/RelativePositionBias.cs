using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Vit;

/// <summary>
/// BEiT relative position bias over the patch grid plus the cls token (spec §3.1): a table of
/// (2g−1)²+3 rows × heads, left at zero, indexed by a (g²+1, g²+1) int64 buffer. Used shared (module
/// <c>rel_pos_bias</c>); <see cref="Attention"/> owns the same pair per block when USE_RPB.
/// </summary>
public sealed class RelativePositionBias : nn.Module
{
    private readonly Parameter relative_position_bias_table;
    private readonly Tensor relative_position_index;

    public RelativePositionBias(int gridSize, int numHeads) : base(nameof(RelativePositionBias))
    {
        GridSize = gridSize;
        relative_position_bias_table = new Parameter(zeros(NumRelativeDistance(gridSize), numHeads));
        relative_position_index = BuildIndex(gridSize);
        RegisterComponents();
    }

    public int GridSize { get; }

    /// <summary>(2g−1)² patch-to-patch offsets + cls→token, token→cls, cls→cls.</summary>
    public static int NumRelativeDistance(int gridSize) => (2 * gridSize - 1) * (2 * gridSize - 1) + 3;

    /// <summary>
    /// (g²+1, g²+1) int64: patch rows/cols 1.. hold (dy+g−1)(2g−1)+(dx+g−1) with (dy, dx) = coord_i − coord_j;
    /// row 0 = R (cls→token), column 0 = R+1 (token→cls), [0,0] = R+2, where R = (2g−1)².
    /// </summary>
    public static Tensor BuildIndex(int gridSize)
    {
        int g = gridSize, n = g * g, span = 2 * g - 1, r = span * span;
        var index = new long[(n + 1) * (n + 1)];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int dy = i / g - j / g, dx = i % g - j % g;
                index[(i + 1) * (n + 1) + (j + 1)] = (dy + g - 1) * span + (dx + g - 1);
            }
        }
        for (int k = 1; k <= n; k++)
        {
            index[k] = r;                // row 0: cls attends to token k
            index[k * (n + 1)] = r + 1;  // column 0: token k attends to cls
        }
        index[0] = r + 2;
        return tensor(index, new long[] { n + 1, n + 1 });
    }

    /// <summary>Looks the bias up: (heads, N, N) with N = g²+1.</summary>
    public static Tensor Lookup(Tensor table, Tensor index)
    {
        var n = index.shape[0];
        var bias = table.index_select(0, index.view(-1)).view(n, n, -1);   // (N, N, nH)
        return bias.permute(2, 0, 1).contiguous();                         // (nH, N, N)
    }

    /// <summary>The bias (heads, N, N); TorchSharp has no zero-input Module&lt;T&gt;, so this is a plain method.</summary>
    public Tensor Compute() => Lookup(relative_position_bias_table, relative_position_index);
}
