using System.Globalization;
using System.Text.RegularExpressions;
using SimMim.Models.Swin;
using SimMim.Models.Vit;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>
/// Converts state dicts between microsoft/SimMIM's key layout and Hugging Face transformers' (spec §8): Swin ⇄
/// <c>SwinForMaskedImageModeling</c> (or <c>SwinForImageClassification</c> for fine-tuned weights) and SimMIM's ViT ⇄
/// BEiT, following transformers' convert_swin_simmim_to_pytorch.py and convert_beit_unilm_to_pytorch.py. Pure
/// functions: the input is not changed; renamed tensors are shared with it, split or joined ones are new.
/// </summary>
/// <remarks>
/// Export splits <c>qkv</c> into query/key/value, maps <c>q_bias</c>/<c>v_bias</c> to query/value biases (BEiT's key
/// has none) and <c>gamma_1/2</c> to <c>lambda_1/2</c>, keeps <c>relative_position_index</c> and drops Swin's
/// <c>attn_mask</c> (transformers computes it in forward). Import inverts all of that; Swin masks are recomputed from
/// the geometry, which needs the image size, and a missing <c>relative_position_index</c> is rebuilt from its table.
/// The SimMIM prediction head <c>decoder.0.*</c> keeps its name (it is SwinForMaskedImageModeling's).
/// </remarks>
public static partial class HuggingFaceKeys
{
    // (reference, Hugging Face) templates. {i}/{j} are layer/block numbers; a template ending in '.' maps a prefix and
    // keeps the rest of the key (weight/bias), any other template maps one whole key.
    private static readonly (string Reference, string HuggingFace)[] SwinRules =
    [
        ("mask_token", "swin.embeddings.mask_token"),
        ("absolute_pos_embed", "swin.embeddings.position_embeddings"),
        ("patch_embed.proj.", "swin.embeddings.patch_embeddings.projection."),
        ("patch_embed.norm.", "swin.embeddings.norm."),
        ("layers.{i}.blocks.{j}.norm1.", "swin.encoder.layers.{i}.blocks.{j}.layernorm_before."),
        ("layers.{i}.blocks.{j}.attn.relative_position_bias_table", "swin.encoder.layers.{i}.blocks.{j}.attention.self.relative_position_bias_table"),
        ("layers.{i}.blocks.{j}.attn.relative_position_index", "swin.encoder.layers.{i}.blocks.{j}.attention.self.relative_position_index"),
        ("layers.{i}.blocks.{j}.attn.qkv.", "swin.encoder.layers.{i}.blocks.{j}.attention.self.{qkv}."),
        ("layers.{i}.blocks.{j}.attn.proj.", "swin.encoder.layers.{i}.blocks.{j}.attention.output.dense."),
        ("layers.{i}.blocks.{j}.norm2.", "swin.encoder.layers.{i}.blocks.{j}.layernorm_after."),
        ("layers.{i}.blocks.{j}.mlp.fc1.", "swin.encoder.layers.{i}.blocks.{j}.intermediate.dense."),
        ("layers.{i}.blocks.{j}.mlp.fc2.", "swin.encoder.layers.{i}.blocks.{j}.output.dense."),
        ("layers.{i}.downsample.", "swin.encoder.layers.{i}.downsample."),
        ("norm.", "swin.layernorm."),
        ("head.", "classifier."),
    ];

    private static readonly (string Reference, string HuggingFace)[] VitRules =
    [
        ("cls_token", "beit.embeddings.cls_token"),
        ("mask_token", "beit.embeddings.mask_token"),
        ("pos_embed", "beit.embeddings.position_embeddings"),
        ("patch_embed.proj.", "beit.embeddings.patch_embeddings.projection."),
        ("rel_pos_bias.", "beit.encoder.relative_position_bias."),
        ("blocks.{i}.gamma_1", "beit.encoder.layer.{i}.lambda_1"),
        ("blocks.{i}.gamma_2", "beit.encoder.layer.{i}.lambda_2"),
        ("blocks.{i}.norm1.", "beit.encoder.layer.{i}.layernorm_before."),
        ("blocks.{i}.attn.qkv.", "beit.encoder.layer.{i}.attention.attention.{qkv}."),
        ("blocks.{i}.attn.q_bias", "beit.encoder.layer.{i}.attention.attention.query.bias"),
        ("blocks.{i}.attn.v_bias", "beit.encoder.layer.{i}.attention.attention.value.bias"),
        ("blocks.{i}.attn.relative_position_bias_table", "beit.encoder.layer.{i}.attention.attention.relative_position_bias.relative_position_bias_table"),
        ("blocks.{i}.attn.relative_position_index", "beit.encoder.layer.{i}.attention.attention.relative_position_bias.relative_position_index"),
        ("blocks.{i}.attn.proj.", "beit.encoder.layer.{i}.attention.output.dense."),
        ("blocks.{i}.norm2.", "beit.encoder.layer.{i}.layernorm_after."),
        ("blocks.{i}.mlp.fc1.", "beit.encoder.layer.{i}.intermediate.dense."),
        ("blocks.{i}.mlp.fc2.", "beit.encoder.layer.{i}.output.dense."),
        ("norm.", "beit.layernorm."),
        ("fc_norm.", "beit.pooler.layernorm."),
        ("head.", "classifier."),
    ];

    private static readonly string[] Qkv = ["query", "key", "value"];

    /// <summary>Reference (pretrain or fine-tuned) → Hugging Face. The source's origin names it in errors.</summary>
    /// <exception cref="CheckpointException">The keys are not a reference layout or a key has no HF counterpart.</exception>
    public static Dictionary<string, Tensor> ToHuggingFace(IReadOnlyDictionary<string, Tensor> reference, string origin)
    {
        var layout = CheckpointLayouts.Detect(reference);
        if (layout is not (CheckpointLayout.ReferencePretrain or CheckpointLayout.ReferenceFinetune))
            throw new CheckpointException($"{origin}: expected a reference (SimMIM) state dict, found {CheckpointLayouts.Describe(layout)}");
        var rules = Rules(CheckpointLayouts.Family(reference.Keys), origin);
        string prefix = layout == CheckpointLayout.ReferencePretrain ? "encoder." : "";
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in reference)
        {
            if (key.StartsWith("decoder.", StringComparison.Ordinal))
            {
                result[key] = tensor;
                continue;
            }
            string local = key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..]
                : throw new CheckpointException($"{origin}: key {key} is outside encoder.* and decoder.*");
            if (local.EndsWith(".attn_mask", StringComparison.Ordinal))
                continue;   // transformers builds the shifted-window mask in forward
            string hf = Map(local, rules, toHuggingFace: true)
                ?? throw new CheckpointException($"{origin}: no Hugging Face name for {key}");
            if (hf.Contains("{qkv}", StringComparison.Ordinal))
            {
                var parts = tensor.chunk(3, dim: 0);   // rows [q; k; v], all_head_size each
                for (int p = 0; p < 3; p++)
                    result[hf.Replace("{qkv}", Qkv[p], StringComparison.Ordinal)] = parts[p];
            }
            else
            {
                result[hf] = tensor;
            }
        }
        return result;
    }

    /// <summary>
    /// Hugging Face → reference: pretrain layout (<c>encoder.*</c>) when the weights have a mask token or the SimMIM
    /// head, else the fine-tuned layout. <paramref name="imgSize"/> (DATA.IMG_SIZE) is needed for Swin's shifted-window
    /// masks.
    /// </summary>
    /// <exception cref="CheckpointException">Not an HF layout, incomplete q/k/v, a non-zero BEiT key bias, or a Swin
    /// checkpoint without <paramref name="imgSize"/>.</exception>
    public static Dictionary<string, Tensor> ToReference(IReadOnlyDictionary<string, Tensor> huggingFace, string origin, int? imgSize = null)
    {
        var layout = CheckpointLayouts.Detect(huggingFace);
        if (layout is not (CheckpointLayout.HuggingFaceSwin or CheckpointLayout.HuggingFaceBeit))
            throw new CheckpointException($"{origin}: expected a Hugging Face state dict, found {CheckpointLayouts.Describe(layout)}");
        bool swin = layout == CheckpointLayout.HuggingFaceSwin;
        var rules = swin ? SwinRules : VitRules;
        bool pretrain = huggingFace.Keys.Any(k => k.EndsWith("embeddings.mask_token", StringComparison.Ordinal) || k.StartsWith("decoder.", StringComparison.Ordinal));
        string prefix = pretrain ? "encoder." : "";
        var masks = swin ? new SwinMasks(huggingFace, imgSize, origin) : null;
        masks?.CheckGeometry();
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in huggingFace)
        {
            if (key.StartsWith("decoder.", StringComparison.Ordinal))
            {
                result[key] = tensor;
                continue;
            }
            var (local, joined) = JoinQkv(key, tensor, huggingFace, rules, origin);
            if (local is null) continue;   // key/value (and a zero BEiT key bias) were joined at the query
            var block = BlockOf(local);
            if (masks is not null && block is { } b && !result.ContainsKey($"{prefix}layers.{b.Layer}.blocks.{b.Block}.attn_mask")
                && masks.For(b.Layer, b.Block) is { } mask)
                result[$"{prefix}layers.{b.Layer}.blocks.{b.Block}.attn_mask"] = mask;   // own buffers precede children
            result[prefix + local] = joined ?? tensor;
            if (local.EndsWith("relative_position_bias_table", StringComparison.Ordinal))
            {
                string indexKey = local[..^"bias_table".Length] + "index";
                if (!huggingFace.ContainsKey(Map(indexKey, rules, toHuggingFace: true)!))
                    result[prefix + indexKey] = swin ? WindowGeometry.RelativePositionIndex(SwinMasks.WindowOf(tensor))
                        : RelativePositionBias.BuildIndex(VitGridOf(tensor));
            }
        }
        return result;
    }

    private static (string? Local, Tensor? Joined) JoinQkv(string key, Tensor tensor, IReadOnlyDictionary<string, Tensor> all,
        (string Reference, string HuggingFace)[] rules, string origin)
    {
        var m = QkvKey().Match(key);
        if (!m.Success)
            return (Map(key, rules, toHuggingFace: false) ?? throw new CheckpointException($"{origin}: no reference name for {key}"), null);
        string stem = m.Groups["stem"].Value, part = m.Groups["part"].Value, kind = m.Groups["kind"].Value;
        bool beitBias = stem.EndsWith(".attention.attention.", StringComparison.Ordinal) && kind == "bias";
        if (beitBias)
        {
            // SimMIM's ViT has q_bias and v_bias only: the key bias must be absent or zero.
            if (part == "key")
                return tensor.abs().max().item<float>() == 0 ? (null, null)
                    : throw new CheckpointException($"{origin}: {key} is non-zero; SimMIM's ViT has no key bias");
            return (Map(key, rules, toHuggingFace: false), null);
        }
        if (part != "query") return (null, null);
        var pieces = Qkv.Select(p => all.TryGetValue($"{stem}{p}.{kind}", out var t) ? t
            : throw new CheckpointException($"{origin}: {stem}{p}.{kind} is missing (needed to rebuild qkv.{kind})")).ToArray();
        string? local = Map($"{stem}{{qkv}}.{kind}", rules, toHuggingFace: false);
        return (local ?? throw new CheckpointException($"{origin}: no reference name for {key}"), cat(pieces, 0));
    }

    private static (string Reference, string HuggingFace)[] Rules(CheckpointFamily family, string origin) => family switch
    {
        CheckpointFamily.Swin => SwinRules,
        CheckpointFamily.Vit => VitRules,
        _ => throw new CheckpointException($"{origin}: neither Swin (layers.*) nor ViT (blocks.*) keys"),
    };

    private static string? Map(string key, (string Reference, string HuggingFace)[] rules, bool toHuggingFace)
    {
        foreach (var (reference, huggingFace) in rules)
        {
            var (from, to) = toHuggingFace ? (reference, huggingFace) : (huggingFace, reference);
            var m = TemplateRegex(from).Match(key);
            if (!m.Success) continue;
            return to.Replace("{i}", m.Groups["i"].Value, StringComparison.Ordinal)
                .Replace("{j}", m.Groups["j"].Value, StringComparison.Ordinal) + m.Groups["rest"].Value;
        }
        return null;
    }

    private static readonly Dictionary<string, Regex> Templates = [];

    private static Regex TemplateRegex(string template)
    {
        lock (Templates)
        {
            if (Templates.TryGetValue(template, out var cached)) return cached;
            string pattern = "^" + Regex.Escape(template).Replace(@"\{i}", @"(?<i>\d+)").Replace(@"\{j}", @"(?<j>\d+)")
                .Replace(@"\{qkv}", @"\{qkv}") + (template.EndsWith('.') ? "(?<rest>.+)$" : "$");
            return Templates[template] = new Regex(pattern, RegexOptions.CultureInvariant);
        }
    }

    private static (int Layer, int Block)? BlockOf(string local)
    {
        var m = SwinBlock().Match(local);
        return m.Success ? (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)) : null;
    }

    private static int VitGridOf(Tensor table) => ((int)Math.Round(Math.Sqrt(table.shape[0] - 3)) + 1) / 2;

    [GeneratedRegex(@"^(?<stem>.+\.attention\.(self|attention)\.)(?<part>query|key|value)\.(?<kind>weight|bias)$")]
    private static partial Regex QkvKey();

    [GeneratedRegex(@"^layers\.(\d+)\.blocks\.(\d+)\.")]
    private static partial Regex SwinBlock();

    [GeneratedRegex(@"^swin\.encoder\.layers\.(\d+)\.blocks\.(\d+)\.attention\.self\.relative_position_bias_table$")]
    private static partial Regex SwinTable();

    /// <summary>The reference's saved shifted-window masks, recomputed from image size, patch size and tables.</summary>
    private sealed class SwinMasks(IReadOnlyDictionary<string, Tensor> hf, int? imgSize, string origin)
    {
        public static int WindowOf(Tensor table) => ((int)Math.Round(Math.Sqrt(table.shape[0])) + 1) / 2;

        /// <summary>
        /// Refuses, before any mask is built, an image size the weights cannot take: one the patch size does not
        /// divide, a token grid that cannot halve at every patch merging, stage grids the windows do not tile (the
        /// window partition would fail inside libtorch), or masks larger than the memory available.
        /// </summary>
        /// <exception cref="ConfigException">The image size (--img-size or DATA.IMG_SIZE) and why it does not fit.</exception>
        public void CheckGeometry()
        {
            if (imgSize is not int size) return;
            int patch = PatchSize();
            string given = $"{origin}: image size {size} (--img-size / DATA.IMG_SIZE)";
            if (size % patch != 0)
                throw new ConfigException($"{given} is not a multiple of the weights' patch size {patch}");
            int grid = size / patch;
            double maskBytes = 0;
            foreach (var (layer, block, window) in Blocks())
            {
                if (grid % (1L << Math.Min(layer, 62)) != 0)
                    throw new ConfigException($"{given}: its {grid}×{grid} patch grid cannot be halved {layer} times for stage {layer}; " +
                        $"use a multiple of {(long)patch << layer}");
                int resolution = grid >> layer;
                var (ws, shift) = SwinTransformerBlock.ClipWindow(resolution, window, window / 2);
                if (resolution % ws != 0)
                    throw new ConfigException($"{given}: stage {layer}'s {resolution}×{resolution} tokens cannot be tiled by its " +
                        $"{ws}×{ws} windows");
                if (block % 2 == 1 && shift > 0)
                    maskBytes += (double)resolution * resolution * ws * ws * sizeof(float);   // (nW, ws², ws²) floats
            }
            long available = Hardware.AvailableMemory.Bytes();
            if (maskBytes > available)
                throw new ConfigException($"{given}: the shifted-window masks alone need {Config.MemoryEstimate.Bytes(maskBytes)}, " +
                    $"but {Config.MemoryEstimate.Bytes(available)} is available");
        }

        public Tensor? For(int layer, int block)
        {
            if (block % 2 == 0) return null;   // even blocks are never shifted
            int size = imgSize ?? throw new CheckpointException(
                $"{origin}: Swin weights need the image size to rebuild the shifted-window masks (give --model-config or --img-size)");
            int resolution = size / PatchSize() >> layer;
            string tableKey = $"swin.encoder.layers.{layer}.blocks.{block}.attention.self.relative_position_bias_table";
            int window = hf.TryGetValue(tableKey, out var table) ? WindowOf(table)
                : throw new CheckpointException($"{origin}: {tableKey} is missing");
            if (window > resolution)
                throw new CheckpointException($"{origin}: stage {layer} window {window} is larger than its {resolution}×{resolution} tokens " +
                    "(transformers keeps unclipped tables; SimMIM clips them) — not supported");
            var (ws, shift) = SwinTransformerBlock.ClipWindow(resolution, window, window / 2);
            return shift > 0 ? WindowGeometry.ShiftedWindowMask(resolution, resolution, ws, shift) : null;
        }

        private int PatchSize() =>
            hf.TryGetValue("swin.embeddings.patch_embeddings.projection.weight", out var proj) ? (int)proj.shape[^1]
                : throw new CheckpointException($"{origin}: swin.embeddings.patch_embeddings.projection.weight is missing");

        /// <summary>Every block's (layer, block, window) from its relative-position table.</summary>
        private IEnumerable<(int Layer, int Block, int Window)> Blocks()
        {
            foreach (var (key, table) in hf)
            {
                var m = SwinTable().Match(key);
                if (m.Success)
                    yield return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                        int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), WindowOf(table));
            }
        }
    }
}
