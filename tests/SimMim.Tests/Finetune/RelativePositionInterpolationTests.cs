using SimMim.Checkpoints;

namespace SimMim.Tests.Finetune;

public class RelativePositionInterpolationTests
{
    // Two heads of a smooth but irregular table, rounded to float32 as a checkpoint holds it.
    private static float[] Table(int side)
    {
        var table = new float[side * side * 2];
        for (int i = 0; i < side * side; i++)
        {
            table[2 * i] = (float)(Math.Sin(0.37 * i) * Math.Cos(0.11 * i) + 0.01 * i);
            table[2 * i + 1] = (float)(Math.Cos(0.23 * i) - 0.005 * i);
        }
        return table;
    }

    // Expected values from SciPy 1.10 (/usr/bin/python3): for each head h,
    //   RectBivariateSpline(x, x, z.T, kx=3, ky=3, s=0)(dx, dx).T.reshape(-1)
    // with x the reference's geometric coordinates, dx = arange(-t, t + 0.1) and z = table[:, h].reshape(src, src)
    // (identical to interp2d(x, x, z, kind='cubic')(dx, dx), checked to 1e-15). 23→27 and 5→9 include targets
    // beyond the outermost source coordinate, so they also check FITPACK's clamping.
    [Theory]
    [InlineData(7, 9, 1.3027758598327637, new[] { 0, 1, 11, 40, 77, 80 }, new[] { 1.59791541e-07, 0.208834222, -0.162540786, -0.214391768, 0.130686394, 0.00344366961 }, new[] { 1.00000074, 0.986143879, 0.505340655, 0.602637887, -0.633716841, -0.195590213 })]
    [InlineData(11, 13, 1.0912812995910643, new[] { 0, 1, 15, 84, 163, 168 }, new[] { 1.0594277e-05, 0.260500123, 0.157493134, 0.402982175, 0.302868341, 1.52691102 }, new[] { 0.999970219, 0.983669179, -1.23836793, 0.0308148786, -0.556430628, -1.38107748 })]
    [InlineData(23, 27, 1.0328930473327635, new[] { 0, 1, 29, 364, 716, 728 }, new[] { -2.58384545e-18, 0.26974889, 0.0334329355, 2.84658265, 5.15924644, 5.30166292 }, new[] { 1, 0.982752406, 0.851549801, -1.83504212, -1.61878598, -3.10946321 })]
    [InlineData(5, 9, 1.49999906539917, new[] { 0, 1, 11, 40, 77, 80 }, new[] { 7.35752193e-18, 7.35752193e-18, 0.0838642815, -0.119025454, -0.418787539, -0.214391768 }, new[] { 1, 1, 1.00055698, -0.988072693, 0.431024075, 0.602637887 })]
    public void MatchesScipyCubicInterpolation(int src, int dst, double q, int[] rows, double[] head0, double[] head1)
    {
        Assert.Equal(q, RelativePositionInterpolation.FindRatio(src, dst), 12);
        float[] result = RelativePositionInterpolation.Interpolate(src, dst, Table(src), numHeads: 2);
        Assert.Equal(dst * dst * 2, result.Length);
        for (int k = 0; k < rows.Length; k++)
        {
            Assert.Equal(head0[k], result[2 * rows[k]], 1e-5);
            Assert.Equal(head1[k], result[2 * rows[k] + 1], 1e-5);
        }
    }

    [Fact]
    public void SourceCoordinatesMatchTheSpecForSwinBaseWindow6To7()
    {
        // Spec §6.3: q = 1.091281, dis = [1, 2.0913, 3.2822, 4.5818, 6.0].
        double[] x = RelativePositionInterpolation.SourceCoordinates(11, 13);
        Assert.Equal(11, x.Length);
        double[] expected = [1, 2.0913, 3.2822, 4.5818, 6.0];
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(expected[i], x[6 + i], 3);
            Assert.Equal(-expected[i], x[4 - i], 3);
        }
        Assert.Equal(0.0, x[5]);
    }

    [Fact]
    public void TheSplineReproducesCubicsExactlyAndKeepsTheCentre()
    {
        // A not-a-knot spline is exact for any cubic; the centre row (offset 0,0) is a source node.
        var table = new float[11 * 11];
        double[] x = RelativePositionInterpolation.SourceCoordinates(11, 13);
        for (int a = 0; a < 11; a++)
            for (int b = 0; b < 11; b++)
                table[a * 11 + b] = (float)(0.01 * x[a] * x[a] * x[a] - 0.2 * x[b] * x[b] + x[a] * x[b] + 3);
        float[] result = RelativePositionInterpolation.Interpolate(11, 13, table, numHeads: 1);
        for (int i = -6; i <= 6; i++)
        {
            for (int j = -6; j <= 6; j++)
            {
                // Targets beyond x = ±6.0000081 would be clamped, but ±6 lie inside.
                double expected = 0.01 * i * i * i - 0.2 * j * j + i * j + 3;
                Assert.Equal(expected, result[(i + 6) * 13 + j + 6], 4);
            }
        }
        Assert.Equal(table[60], result[84]);
    }

    [Fact]
    public void ThreeNodesGiveTheParabolaAndEvenSizesAreRefused()
    {
        double[,] w = RelativePositionInterpolation.SplineWeights([-1, 0, 1], [-2, 0.5, 1]);
        // y = x² through (−1,1), (0,0), (1,1); −2 clamps to −1.
        double Eval(int i) => w[i, 0] * 1 + w[i, 1] * 0 + w[i, 2] * 1;
        Assert.Equal(1.0, Eval(0), 12);
        Assert.Equal(0.25, Eval(1), 12);
        Assert.Equal(1.0, Eval(2), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => RelativePositionInterpolation.Interpolate(4, 5, new float[16], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RelativePositionInterpolation.Interpolate(5, 6, new float[25], 1));
    }
}
