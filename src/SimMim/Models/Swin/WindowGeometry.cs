using static TorchSharp.torch;

namespace SimMim.Models.Swin;

/// <summary>Pure geometry of (shifted) window attention (spec §3.2).</summary>
public static class WindowGeometry
{
    /// <summary>(B, H, W, C) → (B·nW, ws, ws, C), windows in row-major order.</summary>
    public static Tensor Partition(Tensor x, int windowSize)
    {
        var (b, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        x = x.view(b, h / windowSize, windowSize, w / windowSize, windowSize, c);   // (B, H/ws, ws, W/ws, ws, C)
        return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, windowSize, windowSize, c);
    }

    /// <summary>
    /// The token order of the windows after a cyclic shift by −<paramref name="shift"/>, as indices into the row-major
    /// (H·W) grid: entry i of the result is the source token of position i of Partition(roll(x, −shift)) flattened.
    /// One gather with it replaces the roll and the partition copy (and the inverse order the reverse and the roll
    /// back), moving each token once instead of twice.
    /// </summary>
    public static long[] WindowOrder(int h, int w, int windowSize, int shift)
    {
        int ws = windowSize, windowsPerRow = w / ws;
        var order = new long[h * w];
        for (int i = 0; i < order.Length; i++)
        {
            int window = i / (ws * ws), inWindow = i % (ws * ws);
            int y = window / windowsPerRow * ws + inWindow / ws, x = window % windowsPerRow * ws + inWindow % ws;
            order[i] = (y + shift) % h * w + (x + shift) % w;   // roll by −shift: position y reads y + shift
        }
        return order;
    }

    /// <summary>The inverse permutation: result[order[i]] = i.</summary>
    public static long[] Inverse(long[] order)
    {
        var inverse = new long[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            inverse[order[i]] = i;
        }
        return inverse;
    }

    /// <summary>
    /// (ws², ws²) int64: (dy+ws−1)(2ws−1) + (dx+ws−1) with (dy, dx) = coord_i − coord_j, tokens row-major.
    /// </summary>
    public static Tensor RelativePositionIndex(int windowSize)
    {
        int ws = windowSize, n = ws * ws, span = 2 * ws - 1;
        var index = new long[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                index[i * n + j] = (i / ws - j / ws + ws - 1) * span + (i % ws - j % ws + ws - 1);
            }
        }
        return tensor(index, new long[] { n, n });
    }

    /// <summary>
    /// SW-MSA mask (nW, ws², ws²): after a cyclic shift by <paramref name="shift"/>, tokens that came from
    /// different regions (labelled by the slices [0, −ws), [−ws, −s), [−s, end) on each axis) get −100, else 0.
    /// </summary>
    public static Tensor ShiftedWindowMask(int h, int w, int windowSize, int shift)
    {
        int ws = windowSize;
        var labels = new float[h * w];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                labels[y * w + x] = Region(y, h, ws, shift) * 3 + Region(x, w, ws, shift);
            }
        }
        using var img = tensor(labels, new long[] { 1, h, w, 1 });
        using var windows = Partition(img, ws).view(-1, ws * ws);    // (nW, ws²)
        using var diff = windows.unsqueeze(1) - windows.unsqueeze(2);  // (nW, ws², ws²)
        using var different = diff.ne(0);
        return zeros_like(diff).masked_fill(different, -100.0);
    }

    private static int Region(int coord, int size, int ws, int shift) =>
        coord < size - ws ? 0 : coord < size - shift ? 1 : 2;
}
