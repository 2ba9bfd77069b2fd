using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Layers;

/// <summary>The reference's <c>_init_weights</c> rules, applied module by module.</summary>
public static class WeightInit
{
    /// <summary>Linear → truncated normal(std), bias 0; LayerNorm → weight 1, bias 0; Conv2d too when <paramref name="includeConv"/>.</summary>
    /// <param name="root">Module tree to walk (the root itself is visited as well).</param>
    /// <param name="truncNormal">Fills a weight tensor with the model's truncated normal.</param>
    /// <param name="includeConv">ViT inits Conv2d like Linear; Swin leaves the patch conv at PyTorch's default.</param>
    public static void Apply(nn.Module root, Action<Tensor> truncNormal, bool includeConv)
    {
        using var noGrad = no_grad();
        foreach (var module in root.modules().Prepend(root))
        {
            switch (module)
            {
                case Linear linear:
                    truncNormal(linear.weight);
                    linear.bias?.zero_();
                    break;
                case LayerNorm norm:
                    norm.weight?.fill_(1.0);
                    norm.bias?.zero_();
                    break;
                case Conv2d conv when includeConv:
                    truncNormal(conv.weight);
                    conv.bias?.zero_();
                    break;
            }
        }
    }
}
