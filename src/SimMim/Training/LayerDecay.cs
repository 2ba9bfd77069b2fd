using SimMim.Models;
using SimMim.Models.Vit;
using TorchSharp.Modules;

namespace SimMim.Training;

/// <summary>
/// Layer-wise lr decay for fine-tuning (optimizer.py, spec §4.5): parameter groups <c>layer_{id}_{decay|no_decay}</c>
/// whose lr is the base lr times <c>LD^(L+1−id)</c>, L = number of transformer blocks. Names are relative to the
/// encoder (no <c>encoder.</c> prefix), as in the fine-tune model.
/// </summary>
public static class LayerDecay
{
    /// <summary>The scale of every layer id 0…L+1: <c>LD^(L+1−id)</c> (the head side, id L+1, keeps scale 1).</summary>
    public static IReadOnlyList<double> Scales(double layerDecay, int numLayers) =>
        Enumerable.Range(0, numLayers + 2).Select(id => Math.Pow(layerDecay, numLayers + 1 - id)).ToList();

    /// <summary>The number of layers L and the layer-id function of an encoder (its family's, e.g. <see cref="VitFamily.LayerId(string, int)"/>).</summary>
    public static (int NumLayers, Func<string, int> LayerId) For(MaskedImageEncoder encoder) =>
        EncoderRegistry.Of(encoder).LayerIds(encoder);

    /// <summary>
    /// Groups in order of first appearance, as the reference's dict does. Each group's <see cref="ParamGroup.BaseLr"/>
    /// is <paramref name="baseLr"/>·scale[id], applied here once: schedules must not scale it again (spec §4.4).
    /// Frozen parameters (requires_grad false) are left out.
    /// </summary>
    public static IReadOnlyList<ParamGroup> ForFinetuning(IEnumerable<(string Name, Parameter Parameter)> parameters,
        IReadOnlySet<string> skip, IReadOnlyCollection<string> skipKeywords, double baseLr, double weightDecay,
        double layerDecay, int numLayers, Func<string, int> layerId)
    {
        var scales = Scales(layerDecay, numLayers);
        var order = new List<string>();
        var groups = new Dictionary<string, (int Id, bool NoDecay, List<string> Names, List<Parameter> Parameters)>();
        foreach (var (name, parameter) in parameters)
        {
            if (!parameter.requires_grad) continue;
            bool noDecay = ParamGroups.IsNoDecay(name, parameter, skip, skipKeywords);
            int id = layerId(name);
            if (id < 0 || id >= scales.Count)
                throw new ArgumentOutOfRangeException(nameof(layerId), id, $"layer id of {name} is outside 0…{numLayers + 1}");
            string key = $"layer_{id}_{(noDecay ? "no_decay" : "decay")}";
            if (!groups.TryGetValue(key, out var group))
            {
                group = (id, noDecay, [], []);
                groups[key] = group;
                order.Add(key);
            }
            group.Names.Add(name);
            group.Parameters.Add(parameter);
        }
        return order.Select(key =>
        {
            var g = groups[key];
            return new ParamGroup(key, g.Names, g.Parameters, baseLr * scales[g.Id], g.NoDecay ? 0.0 : weightDecay);
        }).ToList();
    }
}
