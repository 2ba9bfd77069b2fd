using System.Collections;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>
/// An optimizer's state in PyTorch's <c>optimizer.state_dict()</c> layout ({'state': {index: {...}}, 'param_groups':
/// [{..., 'params': [index, ...]}]}), the form a checkpoint holds under 'optimizer'. Parameters are numbered in group
/// order, so a state fits an optimizer only when its groups hold the same parameters in the same order.
/// </summary>
internal static class OptimizerStateDict
{
    /// <summary>The optimizer's state as the nested dictionary a checkpoint embeds.</summary>
    public static Hashtable From(OptimizerHelper optimizer)
    {
        // PyBridge writes the state in PyTorch's layout to a stream; reading that back gives the nested dictionary.
        using var buffer = new MemoryStream();
        optimizer.save_py(buffer, leaveOpen: true);
        buffer.Position = 0;
        return PyTorchUnpickler.UnpickleStateDict(buffer);
    }

    /// <summary>
    /// Loads <paramref name="state"/> (ours, or the reference's with its extra group keys such as group_name,
    /// lr_scale and initial_lr) into <paramref name="optimizer"/> after checking that it fits.
    /// </summary>
    /// <exception cref="CheckpointException">Other groups, other group sizes or per-parameter tensors of other shapes.</exception>
    public static void Restore(OptimizerHelper optimizer, IDictionary state, string path)
    {
        CheckFits(optimizer, state, path);
        // No dispose scope here: the optimizer keeps the tensors load_py makes as its new state.
        using var buffer = new MemoryStream();
        PyTorchPickler.PickleStateDict(buffer, FloatsFromTensors(state), leaveOpen: true);
        buffer.Position = 0;
        optimizer.load_py(buffer);
    }

    private static void CheckFits(OptimizerHelper optimizer, IDictionary state, string path)
    {
        var ours = optimizer.ParamGroups.Cast<ParamGroup>().Select(g => g.Parameters.ToList()).ToList();
        if (state["param_groups"] is not IList groups || state["state"] is not IDictionary perParameter)
            throw new CheckpointException($"{path}: the optimizer state has no 'param_groups' list or 'state' dict");
        if (groups.Count != ours.Count)
            throw Mismatch(path, $"{groups.Count} parameter groups, this run has {ours.Count}");
        var parameterOf = new Dictionary<long, Parameter>();
        for (int g = 0; g < ours.Count; g++)
        {
            if (groups[g] is not IDictionary group || group["params"] is not IList ids)
                throw new CheckpointException($"{path}: optimizer parameter group {g} has no 'params' list");
            if (ids.Count != ours[g].Count)
                throw Mismatch(path, $"group {g} has {ids.Count} parameters, this run's has {ours[g].Count}");
            for (int i = 0; i < ids.Count; i++)
            {
                if (ids[i] is not long id || !parameterOf.TryAdd(id, ours[g][i]))
                    throw new CheckpointException($"{path}: optimizer parameter group {g} lists an invalid or repeated index");
            }
        }
        foreach (DictionaryEntry entry in perParameter)
        {
            if (entry.Key is not long id || !parameterOf.TryGetValue(id, out var parameter) || entry.Value is not IDictionary values)
                throw new CheckpointException($"{path}: optimizer state for parameter {entry.Key} belongs to no group");
            foreach (DictionaryEntry value in values)
            {
                // Moment buffers have the parameter's shape; 'step' is a number or a 0-d tensor.
                if (value.Value is Tensor { Dimensions: > 0 } buffer && !buffer.shape.SequenceEqual(parameter.shape))
                    throw Mismatch(path, $"'{value.Key}' of parameter {id} is ({string.Join(",", buffer.shape)}), " +
                        $"the parameter ({string.Join(",", parameter.shape)})");
            }
        }
    }

    private static CheckpointException Mismatch(string path, string what) =>
        new($"{path}: the optimizer state does not fit this run ({what}; another model, layer decay or optimizer?)");

    /// <summary>
    /// Param-group hyper-parameters (lr, betas, eps, weight_decay) come back from our files as 0-d float64 tensors
    /// (see <see cref="TorchFile"/>); PyBridge's optimizer loader wants doubles.
    /// </summary>
    private static IDictionary FloatsFromTensors(IDictionary optimizerState)
    {
        if (optimizerState["param_groups"] is IList groups)
        {
            foreach (IDictionary group in groups.OfType<IDictionary>())
            {
                foreach (object key in group.Keys.Cast<object>().ToList())
                    group[key] = ToDouble(group[key]);
            }
        }
        return optimizerState;

        static object? ToDouble(object? value) => value switch
        {
            Tensor { dtype: ScalarType.Float64, Dimensions: 0 } t => t.item<double>(),
            object?[] tuple => tuple.Select(ToDouble).ToArray(),
            _ => value,
        };
    }
}
