using SimMim.Models;
using SimMim.Models.Swin;
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

    /// <summary>
    /// ViT (BEiT's get_num_layer_for_vit): cls_token, mask_token, pos_embed, patch_embed.* → 0; blocks.i.* → i+1;
    /// rel_pos_bias.* and everything else (norm, fc_norm, head) → depth+1.
    /// </summary>
    public static int VitLayerId(string name, int depth)
    {
        if (name is "cls_token" or "mask_token" or "pos_embed" || name.StartsWith("patch_embed", StringComparison.Ordinal))
            return 0;
        if (name.StartsWith("blocks.", StringComparison.Ordinal))
            return int.Parse(name.Split('.')[1]) + 1;
        return depth + 1;
    }

    /// <summary>
    /// Swin (SimMIM's get_swin_layer): mask_token, patch_embed.* → 0; layers.i.blocks.j.* → Σdepths[:i] + j + 1;
    /// layers.i.downsample.* → Σdepths[:i+1] (the id of the stage's last block); everything else → Σdepths + 1.
    /// </summary>
    public static int SwinLayerId(string name, IReadOnlyList<int> depths)
    {
        // The reference tests `name in ("mask_token")`, a substring test on a string; only mask_token itself matches.
        if (name == "mask_token" || name.StartsWith("patch_embed", StringComparison.Ordinal))
            return 0;
        if (name.StartsWith("layers.", StringComparison.Ordinal))
        {
            string[] parts = name.Split('.');
            int stage = int.Parse(parts[1]);
            int before = depths.Take(stage).Sum();
            return parts[2] == "downsample" ? before + depths[stage] : before + int.Parse(parts[3]) + 1;
        }
        return depths.Sum() + 1;
    }

    /// <summary>The number of layers L and the layer-id function of an encoder.</summary>
    public static (int NumLayers, Func<string, int> LayerId) For(MaskedImageEncoder encoder) => encoder switch
    {
        VisionTransformer vit => (vit.Depth, name => VitLayerId(name, vit.Depth)),
        SwinTransformer swin => (swin.Config.Depths.Sum(), name => SwinLayerId(name, swin.Config.Depths)),
        _ => throw new ArgumentException($"no layer ids for {encoder.GetType().Name}", nameof(encoder)),
    };

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
