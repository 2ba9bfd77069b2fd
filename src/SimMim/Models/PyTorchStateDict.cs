using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Models;

/// <summary>
/// TorchSharp's <c>Module.state_dict</c> lists every parameter of the tree before any buffer; PyTorch lists,
/// module by module, its own parameters, then its own persistent buffers, then its children. The SimMIM models
/// override <c>state_dict</c> with this walk so keys come out in PyTorch's order (e.g. a Swin block's
/// <c>attn_mask</c> before its <c>norm1.weight</c>).
/// </summary>
public static class PyTorchStateDict
{
    public static Dictionary<string, Tensor> Collect(nn.Module module, Dictionary<string, Tensor>? destination = null, string? prefix = null)
    {
        destination ??= new Dictionary<string, Tensor>();
        Walk(module, destination, string.IsNullOrEmpty(prefix) ? "" : prefix + ".");
        return destination;
    }

    private static void Walk(nn.Module module, Dictionary<string, Tensor> destination, string prefix)
    {
        foreach (var (name, p) in module.named_parameters(recurse: false))
        {
            destination.TryAdd(prefix + name, p);
        }
        foreach (var (name, b) in module.named_buffers(recurse: false, include_nonpersistent: false))
        {
            destination.TryAdd(prefix + name, b);
        }
        foreach (var (name, child) in module.named_children())
        {
            Walk(child, destination, prefix + name + ".");
        }
    }
}
