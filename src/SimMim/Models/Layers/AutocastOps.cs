using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Layers;

/// <summary>
/// The ops our modules call where precision matters, following CPU autocast's policy under an
/// <see cref="Autocast"/> scope: linear, conv2d and matmul cast their inputs (weights included, inside the autograd
/// graph, so fp32 master weights receive fp32 gradients) to the scope's type; LayerNorm, softmax and the ViT's
/// attention core (<see cref="Attention"/>) take fp32. Outside a scope every helper is exactly the plain TorchSharp call.
/// </summary>
public static class AutocastOps
{
    /// <summary><paramref name="layer"/>(x); in a scope x·Wᵀ + b in the reduced type.</summary>
    public static Tensor Linear(Linear layer, Tensor x) => Autocast.ComputeType is ScalarType t
        ? nn.functional.linear(Cast(x, t), Cast(layer.weight, t), layer.bias is null ? null : Cast(layer.bias, t))
        : layer.call(x);

    /// <summary>Functional linear (for weights used with a bias assembled per call, e.g. BEiT's q/v bias).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => Autocast.ComputeType is ScalarType t
        ? nn.functional.linear(Cast(x, t), Cast(weight, t), bias is null ? null : Cast(bias, t))
        : nn.functional.linear(x, weight, bias);

    /// <summary><paramref name="conv"/>(x); in a scope with input, weight and bias in the reduced type.</summary>
    public static Tensor Conv2d(Conv2d conv, Tensor x)
    {
        if (Autocast.ComputeType is not ScalarType t)
        {
            return conv.call(x);
        }
        if (conv.padding_mode != PaddingModes.Zeros || conv.padding_type is not null)
        {
            throw new NotSupportedException("autocast conv2d supports explicit zero padding only");
        }
        return nn.functional.conv2d(Cast(x, t), Cast(conv.weight, t), conv.bias is null ? null : Cast(conv.bias, t),
            conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>a @ b; in a scope in the reduced type.</summary>
    public static Tensor Matmul(Tensor a, Tensor b) => Autocast.ComputeType is ScalarType t
        ? Cast(a, t).matmul(Cast(b, t))
        : a.matmul(b);

    /// <summary>
    /// softmax(q·kᵀ/√d + bias)·v, in fp32 in and out of a scope (q, k and v are cast up). With bf16 products the
    /// gradient of the bias suffers: near-uniform attention makes it P ⊙ (dP − mean dP), a small difference of nearly
    /// equal dP entries, which came out 0.99 % off in a test. With this and the patch embedding in bf16 the small ViT
    /// stayed on an early loss plateau that fp32 leaves; with both in fp32 it does not (neither alone was enough;
    /// docs/PERFORMANCE.md). These products are ~2 % of a SimMIM ViT's FLOPs at its tens of tokens.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? bias) =>
        nn.functional.scaled_dot_product_attention(ToFloat32(q), ToFloat32(k), ToFloat32(v), bias);

    /// <summary><paramref name="norm"/>(x) with x in fp32 (a no-op outside a scope, where x already is).</summary>
    public static Tensor LayerNorm(LayerNorm norm, Tensor x) => norm.call(ToFloat32(x));

    /// <summary>x in fp32: the same tensor when it already is (so fp32 runs are untouched).</summary>
    public static Tensor ToFloat32(Tensor x) => x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);

    /// <summary>x in the scope's reduced type (for a copy worth making in fewer bytes), else unchanged.</summary>
    public static Tensor ToCompute(Tensor x) => Autocast.ComputeType is ScalarType t ? Cast(x, t) : x;

    private static Tensor Cast(Tensor x, ScalarType t) => x.dtype == t ? x : x.to_type(t);
}
