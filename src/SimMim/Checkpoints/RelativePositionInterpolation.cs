namespace SimMim.Checkpoints;

/// <summary>
/// BEiT's geometric resize of a relative position bias table (spec §6.3), used when the window (Swin) or the patch
/// grid (ViT) of the fine-tuned model differs from the pretrained one. The source offsets −(n−1)…(n−1) are placed
/// at geometrically growing coordinates ±[1, 1+q, 1+q+q², …] (q by bisection, so the outermost lands near the new
/// half-width), and the table is resampled at the integer offsets of the new size with a tensor-product not-a-knot
/// cubic spline, queries outside the source range clamped to its edge. That is exactly what the reference's
/// <c>scipy.interpolate.interp2d(kind='cubic')</c> computes (FITPACK regrid, s = 0; verified against SciPy 1.10).
/// </summary>
public static class RelativePositionInterpolation
{
    /// <summary>
    /// Resizes <paramref name="table"/>, row-major (srcSize², numHeads) with row = dy·srcSize + dx, to
    /// (dstSize², numHeads). Sizes are table sides (2·window − 1), so odd.
    /// </summary>
    public static float[] Interpolate(int srcSize, int dstSize, float[] table, int numHeads)
    {
        if (srcSize < 3 || srcSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(srcSize), srcSize, "table side must be odd and at least 3");
        if (dstSize < 1 || dstSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(dstSize), dstSize, "table side must be odd");
        if (numHeads < 1 || table.Length != srcSize * srcSize * numHeads)
            throw new ArgumentException($"table has {table.Length} values, expected {srcSize}²·{numHeads}", nameof(table));

        double[] x = SourceCoordinates(srcSize, dstSize);
        double[] targets = Enumerable.Range(-(dstSize / 2), dstSize).Select(t => (double)t).ToArray();
        double[,] w = SplineWeights(x, targets);   // (dst, src): value at target i = Σ_a w[i,a]·y[a]

        var result = new float[dstSize * dstSize * numHeads];
        var rows = new double[dstSize, srcSize];    // the spline along dx, for every source row dy
        for (int h = 0; h < numHeads; h++)
        {
            for (int a = 0; a < srcSize; a++)
            {
                for (int j = 0; j < dstSize; j++)
                {
                    double s = 0;
                    for (int b = 0; b < srcSize; b++)
                        s += w[j, b] * table[(a * srcSize + b) * numHeads + h];
                    rows[j, a] = s;
                }
            }
            for (int i = 0; i < dstSize; i++)
            {
                for (int j = 0; j < dstSize; j++)
                {
                    double s = 0;
                    for (int a = 0; a < srcSize; a++)
                        s += w[i, a] * rows[j, a];
                    result[(i * dstSize + j) * numHeads + h] = (float)s;
                }
            }
        }
        return result;
    }

    /// <summary>The ratio q: bisection on [1.01, 1.5] until 1 + q + … + q^(src/2 − 1) first exceeds dst/2.</summary>
    public static double FindRatio(int srcSize, int dstSize)
    {
        double left = 1.01, right = 1.5, q = 0;
        int n = srcSize / 2;
        while (right - left > 1e-6)
        {
            q = (left + right) / 2.0;
            double sum = (1.0 - Math.Pow(q, n)) / (1.0 - q);   // geometric progression, as the reference writes it
            if (sum > dstSize / 2)
                right = q;
            else
                left = q;
        }
        return q;
    }

    /// <summary>Source coordinates −dis…, 0, …dis with dis = [1, 1+q, 1+q+q², …] (srcSize values).</summary>
    public static double[] SourceCoordinates(int srcSize, int dstSize)
    {
        double q = FindRatio(srcSize, dstSize);
        int n = srcSize / 2;
        var dis = new double[n];
        double cur = 1;
        for (int i = 0; i < n; i++)
        {
            dis[i] = cur;
            cur += Math.Pow(q, i + 1);
        }
        return [.. dis.Reverse().Select(d => -d), 0.0, .. dis];
    }

    /// <summary>
    /// Weights of the interpolating not-a-knot cubic spline through nodes <paramref name="x"/> evaluated at
    /// <paramref name="queries"/> clamped to [x₀, xₙ]: (queries, nodes). Three nodes give the parabola.
    /// </summary>
    public static double[,] SplineWeights(double[] x, double[] queries)
    {
        int m = x.Length;
        var weights = new double[queries.Length, m];
        var unit = new double[m];
        for (int a = 0; a < m; a++)
        {
            Array.Clear(unit);
            unit[a] = 1;
            var spline = new NotAKnotSpline(x, unit);
            for (int i = 0; i < queries.Length; i++)
                weights[i, a] = spline.Evaluate(queries[i]);
        }
        return weights;
    }

    /// <summary>A 1-D interpolating cubic spline whose third derivative is continuous at x₁ and xₙ₋₁.</summary>
    private sealed class NotAKnotSpline
    {
        private readonly double[] _x;
        private readonly double[] _y;
        private readonly double[] _m;   // second derivatives at the nodes

        public NotAKnotSpline(double[] x, double[] y)
        {
            _x = x;
            _y = y;
            int n = x.Length - 1;
            if (n < 2)
                throw new ArgumentException("a cubic spline needs at least 3 nodes", nameof(x));
            if (n == 2)
            {
                // Both not-a-knot conditions coincide: the spline is the interpolating parabola (constant M).
                double d0 = (y[1] - y[0]) / (x[1] - x[0]), d1 = (y[2] - y[1]) / (x[2] - x[1]);
                double c = 2 * (d1 - d0) / (x[2] - x[0]);
                _m = [c, c, c];
                return;
            }
            var h = new double[n];
            for (int i = 0; i < n; i++)
                h[i] = x[i + 1] - x[i];
            var a = new double[n + 1, n + 1];
            var rhs = new double[n + 1];
            // Not-a-knot at x₁ and xₙ₋₁: the third derivative, (M_{i+1} − M_i)/h_i, is equal on both sides.
            a[0, 0] = -1 / h[0];
            a[0, 1] = 1 / h[0] + 1 / h[1];
            a[0, 2] = -1 / h[1];
            a[n, n - 2] = -1 / h[n - 2];
            a[n, n - 1] = 1 / h[n - 2] + 1 / h[n - 1];
            a[n, n] = -1 / h[n - 1];
            for (int i = 1; i < n; i++)
            {
                // Continuity of the first derivative at interior node i.
                a[i, i - 1] = h[i - 1] / 6;
                a[i, i] = (h[i - 1] + h[i]) / 3;
                a[i, i + 1] = h[i] / 6;
                rhs[i] = (y[i + 1] - y[i]) / h[i] - (y[i] - y[i - 1]) / h[i - 1];
            }
            _m = Solve(a, rhs);
        }

        public double Evaluate(double u)
        {
            int n = _x.Length - 1;
            u = Math.Clamp(u, _x[0], _x[n]);   // FITPACK's bispev clamps instead of extrapolating
            int i = Array.BinarySearch(_x, u);
            if (i < 0)
                i = ~i - 1;
            i = Math.Clamp(i, 0, n - 1);
            double h = _x[i + 1] - _x[i], l = _x[i + 1] - u, r = u - _x[i];
            return _m[i] * l * l * l / (6 * h) + _m[i + 1] * r * r * r / (6 * h)
                + (_y[i] / h - _m[i] * h / 6) * l + (_y[i + 1] / h - _m[i + 1] * h / 6) * r;
        }

        // Gaussian elimination with partial pivoting; the systems are at most a few dozen unknowns.
        private static double[] Solve(double[,] a, double[] b)
        {
            int n = b.Length;
            for (int col = 0; col < n; col++)
            {
                int pivot = col;
                for (int r = col + 1; r < n; r++)
                {
                    if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col]))
                        pivot = r;
                }
                if (pivot != col)
                {
                    for (int c = 0; c < n; c++)
                        (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
                    (b[col], b[pivot]) = (b[pivot], b[col]);
                }
                for (int r = col + 1; r < n; r++)
                {
                    double f = a[r, col] / a[col, col];
                    if (f == 0)
                        continue;
                    for (int c = col; c < n; c++)
                        a[r, c] -= f * a[col, c];
                    b[r] -= f * b[col];
                }
            }
            var result = new double[n];
            for (int r = n - 1; r >= 0; r--)
            {
                double s = b[r];
                for (int c = r + 1; c < n; c++)
                    s -= a[r, c] * result[c];
                result[r] = s / a[r, r];
            }
            return result;
        }
    }
}
