namespace SimMim.Tests.Data.Augment;

/// <summary>A <see cref="Random"/> that returns scripted uniforms and integers in order, and counts what was drawn.</summary>
internal sealed class ScriptedRandom(double[] uniforms, int[]? integers = null) : Random
{
    private int _uniform, _integer;

    public int UniformsDrawn => _uniform;

    public int IntegersDrawn => _integer;

    public override double NextDouble() =>
        _uniform < uniforms.Length ? uniforms[_uniform++] : throw new InvalidOperationException("no scripted uniform left");

    public override int Next(int maxValue) => Next(0, maxValue);

    public override int Next(int minValue, int maxValue)
    {
        if (integers is null || _integer >= integers.Length)
            throw new InvalidOperationException("no scripted integer left");
        int value = integers[_integer++];
        return value >= minValue && value < maxValue ? value
            : throw new InvalidOperationException($"scripted {value} is outside [{minValue}, {maxValue})");
    }
}
