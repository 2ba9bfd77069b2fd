using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>One optimizer parameter group: its parameters, names, peak lr and weight decay.</summary>
public sealed record ParamGroup(string Name, IReadOnlyList<string> ParameterNames, IReadOnlyList<Parameter> Parameters,
    double BaseLr, double WeightDecay);

/// <summary>
/// The reference's AdamW parameter groups (optimizer.py, spec §4.5): a parameter gets no weight decay when it is
/// 1-D, a bias, named in the model's skip list or contains a skip keyword.
/// </summary>
public static class ParamGroups
{
    public static bool IsNoDecay(string name, Tensor parameter, IReadOnlySet<string> skip, IReadOnlyCollection<string> skipKeywords) =>
        parameter.dim() == 1 || name.EndsWith(".bias", StringComparison.Ordinal) || skip.Contains(name)
        || skipKeywords.Any(keyword => name.Contains(keyword, StringComparison.Ordinal));

    /// <summary>Pretraining: two groups, decay first, as the reference orders them.</summary>
    public static IReadOnlyList<ParamGroup> ForPretraining(IEnumerable<(string Name, Parameter Parameter)> parameters,
        IReadOnlySet<string> skip, IReadOnlyCollection<string> skipKeywords, double baseLr, double weightDecay)
    {
        var decay = new List<(string, Parameter)>();
        var noDecay = new List<(string, Parameter)>();
        foreach (var (name, parameter) in parameters)
        {
            if (!parameter.requires_grad) continue;
            (IsNoDecay(name, parameter, skip, skipKeywords) ? noDecay : decay).Add((name, parameter));
        }
        return
        [
            new ParamGroup("decay", decay.Select(p => p.Item1).ToList(), decay.Select(p => p.Item2).ToList(), baseLr, weightDecay),
            new ParamGroup("no_decay", noDecay.Select(p => p.Item1).ToList(), noDecay.Select(p => p.Item2).ToList(), baseLr, 0.0),
        ];
    }
}
