"""Independent PyTorch reference of SimMIM (ViT and Swin V1 encoders), written from docs of the reference
behaviour (the project's SimMIM specification, §2, §3, §6.2), not copied from microsoft/SimMIM or timm.

Only what parity needs: eval-mode numerics (no dropout, no drop path) and the reference's state-dict keys and
their order. Weights are left at zero/one here; make_fixtures.py overwrites every one of them.
"""
import torch
import torch.nn.functional as F
from torch import nn


# ---- geometry -------------------------------------------------------------------------------------------------

def grid_offsets(side):
    """(2, N, N) int64: coord_i - coord_j for tokens of a side x side grid in row-major order."""
    ys, xs = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    coords = torch.stack([ys.reshape(-1), xs.reshape(-1)])      # (2, N)
    return coords[:, :, None] - coords[:, None, :]              # (2, N, N)


def window_index(side):
    """Swin: (N, N) with (dy + s - 1)(2s - 1) + (dx + s - 1)."""
    d = grid_offsets(side)
    return (d[0] + side - 1) * (2 * side - 1) + (d[1] + side - 1)


def vit_index(side):
    """BEiT: (N+1, N+1); patch part as Swin, then cls->token, token->cls, cls->cls after the (2s-1)^2 offsets."""
    n, r = side * side, (2 * side - 1) ** 2
    index = torch.empty(n + 1, n + 1, dtype=torch.long)
    index[1:, 1:] = window_index(side)
    index[0, :] = r
    index[:, 0] = r + 1
    index[0, 0] = r + 2
    return index


def partition(x, ws):
    """(B, H, W, C) -> (B * nW, ws, ws, C)."""
    b, h, w, c = x.shape
    x = x.reshape(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, ws, ws, c)


def unpartition(windows, ws, h, w):
    """(B * nW, ws, ws, C) -> (B, H, W, C)."""
    c = windows.shape[-1]
    x = windows.reshape(-1, h // ws, w // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, h, w, c)


def shift_mask(side, ws, shift):
    """(nW, ws^2, ws^2): -100 between tokens from different regions of the shifted image, else 0."""
    def region(i):
        return 0 if i < side - ws else (1 if i < side - shift else 2)
    labels = torch.tensor([[3 * region(y) + region(x) for x in range(side)] for y in range(side)],
                          dtype=torch.float32)
    win = partition(labels.reshape(1, side, side, 1), ws).reshape(-1, ws * ws)   # (nW, N)
    different = win[:, None, :] != win[:, :, None]                               # (nW, N, N)
    return torch.zeros(different.shape).masked_fill(different, -100.0)


# ---- shared layers -------------------------------------------------------------------------------------------

class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class PatchEmbed(nn.Module):
    def __init__(self, patch, in_chans, dim, with_norm):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, patch, stride=patch)
        self.norm = nn.LayerNorm(dim) if with_norm else None

    def forward(self, x):
        x = self.proj(x).flatten(2).transpose(1, 2)               # (B, L, C)
        return x if self.norm is None else self.norm(x)


def blend_mask_token(x, mask, token):
    w = mask.flatten(1).unsqueeze(-1).to(token.dtype)               # (B, L, 1)
    return x * (1 - w) + token.expand(x.shape[0], x.shape[1], -1) * w


# ---- ViT (BEiT-style) ----------------------------------------------------------------------------------------

def lookup_bias(table, index):
    """table (R, nH) gathered by index (N, N) -> (nH, N, N)."""
    n = index.shape[0]
    return table[index.reshape(-1)].reshape(n, n, -1).permute(2, 0, 1)


class RelativePositionBias(nn.Module):
    def __init__(self, side, heads):
        super().__init__()
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * side - 1) ** 2 + 3, heads))
        self.register_buffer("relative_position_index", vit_index(side))

    def forward(self):
        return lookup_bias(self.relative_position_bias_table, self.relative_position_index)   # (nH, N, N)


class VitAttention(nn.Module):
    def __init__(self, dim, heads, qkv_bias, side):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim)) if qkv_bias else None
        self.v_bias = nn.Parameter(torch.zeros(dim)) if qkv_bias else None
        if side:   # per-block table (USE_RPB), kept on the attention module itself as in the reference's keys
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * side - 1) ** 2 + 3, heads))
            self.register_buffer("relative_position_index", vit_index(side))
        else:
            self.relative_position_bias_table = None
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, shared_bias):
        b, n, c = x.shape
        bias = None
        if self.q_bias is not None:
            bias = torch.cat([self.q_bias, torch.zeros_like(self.v_bias), self.v_bias])   # k has no bias
        qkv = F.linear(x, self.qkv.weight, bias).reshape(b, n, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)                         # (B, nH, N, hd) each
        attn = (q * (c // self.heads) ** -0.5) @ k.transpose(-2, -1)
        if self.relative_position_bias_table is not None:
            attn = attn + lookup_bias(self.relative_position_bias_table, self.relative_position_index).unsqueeze(0)
        if shared_bias is not None:
            attn = attn + shared_bias.unsqueeze(0)
        out = attn.softmax(-1) @ v                                   # (B, nH, N, hd)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


class VitBlock(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, qkv_bias, init_values, eps, side):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = VitAttention(dim, heads, qkv_bias, side)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.gamma_1 = nn.Parameter(torch.full((dim,), init_values)) if init_values is not None else None
        self.gamma_2 = nn.Parameter(torch.full((dim,), init_values)) if init_values is not None else None

    def forward(self, x, shared_bias):
        a = self.attn(self.norm1(x), shared_bias)
        x = x + (a if self.gamma_1 is None else self.gamma_1 * a)
        m = self.mlp(self.norm2(x))
        return x + (m if self.gamma_2 is None else self.gamma_2 * m)


class VitForSimMim(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, depth, num_heads, mlp_ratio=4.0, qkv_bias=True,
                 init_values=0.1, use_ape=False, use_rpb=False, use_shared_rpb=True, eps=1e-6,
                 use_mean_pooling=False, num_classes=0, for_simmim=True):
        super().__init__()
        side = img_size // patch_size
        self.side, self.patch_size, self.in_chans = side, patch_size, in_chans
        self.num_features, self.encoder_stride = embed_dim, patch_size
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim, with_norm=False)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, side * side + 1, embed_dim)) if use_ape else None
        self.rel_pos_bias = RelativePositionBias(side, num_heads) if use_shared_rpb else None
        self.blocks = nn.ModuleList(
            VitBlock(embed_dim, num_heads, mlp_ratio, qkv_bias, init_values, eps, side if use_rpb else None)
            for _ in range(depth))
        # Classifier side (spec §3.1): mean pooling makes the final norm Identity (no keys) and adds fc_norm.
        self.norm = None if use_mean_pooling else nn.LayerNorm(embed_dim, eps=eps)
        self.fc_norm = nn.LayerNorm(embed_dim, eps=eps) if use_mean_pooling else None
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else None
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if for_simmim else None

    def tokens(self, image, mask):
        x = self.patch_embed(image)
        if mask is not None:
            x = blend_mask_token(x, mask, self.mask_token)                       # (B, L, C)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)    # (B, 1+L, C)
        if self.pos_embed is not None:
            x = x + self.pos_embed
        shared = self.rel_pos_bias() if self.rel_pos_bias is not None else None
        for blk in self.blocks:
            x = blk(x, shared)
        return x if self.norm is None else self.norm(x)                          # (B, 1+L, C)

    def classify(self, image):
        """Fine-tune logits: mean of patch tokens + fc_norm, else the cls token after norm; then head."""
        x = self.tokens(image, None)
        x = self.fc_norm(x[:, 1:].mean(1)) if self.fc_norm is not None else x[:, 0]
        return x if self.head is None else self.head(x)

    def forward(self, image, mask):
        x = self.tokens(image, mask)[:, 1:]                                      # (B, L, C)
        b, _, c = x.shape
        return x.transpose(1, 2).reshape(b, c, self.side, self.side)


# ---- Swin V1 -------------------------------------------------------------------------------------------------

class WindowAttention(nn.Module):
    def __init__(self, dim, ws, heads, qkv_bias, qk_scale):
        super().__init__()
        self.heads = heads
        self.scale = qk_scale if qk_scale is not None else (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1) ** 2, heads))
        self.register_buffer("relative_position_index", window_index(ws))
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, mask):
        bw, n, c = x.shape
        q, k, v = self.qkv(x).reshape(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)                            # (B*nW, nH, N, N)
        attn = attn + lookup_bias(self.relative_position_bias_table, self.relative_position_index).unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = (attn.reshape(bw // nw, nw, self.heads, n, n) + mask[None, :, None]).reshape(bw, self.heads, n, n)
        out = attn.softmax(-1) @ v
        return self.proj(out.transpose(1, 2).reshape(bw, n, c))


class SwinBlock(nn.Module):
    def __init__(self, dim, side, heads, ws, shift, mlp_ratio, qkv_bias, qk_scale):
        super().__init__()
        if side <= ws:   # window clipped to the stage at construction, no shift
            ws, shift = side, 0
        self.side, self.ws, self.shift = side, ws, shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, ws, heads, qkv_bias, qk_scale)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.register_buffer("attn_mask", shift_mask(side, ws, shift) if shift > 0 else None)

    def forward(self, x):
        b, l, c = x.shape
        s, ws, r = self.shift, self.ws, self.side
        h = self.norm1(x).reshape(b, r, r, c)
        if s:
            h = torch.roll(h, (-s, -s), (1, 2))
        h = self.attn(partition(h, ws).reshape(-1, ws * ws, c), self.attn_mask)
        h = unpartition(h.reshape(-1, ws, ws, c), ws, r, r)
        if s:
            h = torch.roll(h, (s, s), (1, 2))
        x = x + h.reshape(b, l, c)
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, side, dim):
        super().__init__()
        self.side = side
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)   # registered before norm, as in the reference
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x):
        b, _, c = x.shape
        x = x.reshape(b, self.side, self.side, c)
        parts = [x[:, i::2, j::2] for (i, j) in ((0, 0), (1, 0), (0, 1), (1, 1))]
        x = torch.cat(parts, -1).reshape(b, -1, 4 * c)
        return self.reduction(self.norm(x))


class BasicLayer(nn.Module):
    def __init__(self, dim, side, depth, heads, ws, mlp_ratio, qkv_bias, qk_scale, downsample):
        super().__init__()
        self.blocks = nn.ModuleList(
            SwinBlock(dim, side, heads, ws, 0 if j % 2 == 0 else ws // 2, mlp_ratio, qkv_bias, qk_scale)
            for j in range(depth))
        self.downsample = PatchMerging(side, dim) if downsample else None

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return x if self.downsample is None else self.downsample(x)


class SwinForSimMim(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, depths, num_heads, window_size, mlp_ratio=4.0,
                 qkv_bias=True, qk_scale=None, ape=False, patch_norm=True, num_classes=0, for_simmim=True):
        super().__init__()
        stages = len(depths)
        side = img_size // patch_size
        self.patch_size, self.in_chans = patch_size, in_chans
        self.num_features = embed_dim * 2 ** (stages - 1)
        # The reference hard-codes 32 (= 4 * 2^3 for four stages); derived here so tiny models work.
        self.encoder_stride = patch_size * 2 ** (stages - 1)
        self.final_side = side // 2 ** (stages - 1)
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim, with_norm=patch_norm)
        if ape:
            self.absolute_pos_embed = nn.Parameter(torch.zeros(1, side * side, embed_dim))
        else:
            self.absolute_pos_embed = None
        self.layers = nn.ModuleList(
            BasicLayer(embed_dim * 2 ** i, side // 2 ** i, depths[i], num_heads[i], window_size, mlp_ratio,
                       qkv_bias, qk_scale, downsample=i < stages - 1)
            for i in range(stages))
        self.norm = nn.LayerNorm(self.num_features)
        # Classifier side (spec §3.2): avgpool over the final tokens (no parameters), then head.
        self.head = nn.Linear(self.num_features, num_classes) if num_classes > 0 else None
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if for_simmim else None

    def tokens(self, image, mask):
        x = self.patch_embed(image)
        if mask is not None:
            x = blend_mask_token(x, mask, self.mask_token)                       # (B, L, C)
        if self.absolute_pos_embed is not None:
            x = x + self.absolute_pos_embed
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)                                                      # (B, L_last, C_last)

    def classify(self, image):
        """Fine-tune logits: AdaptiveAvgPool1d(1) over tokens, flatten, head."""
        x = self.tokens(image, None).mean(1)
        return x if self.head is None else self.head(x)

    def forward(self, image, mask):
        x = self.tokens(image, mask)
        b, _, c = x.shape
        return x.transpose(1, 2).reshape(b, c, self.final_side, self.final_side)


# ---- SimMIM wrapper ------------------------------------------------------------------------------------------

class SimMim(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        stride = encoder.encoder_stride
        self.decoder = nn.Sequential(nn.Conv2d(encoder.num_features, stride * stride * 3, kernel_size=1),
                                     nn.PixelShuffle(stride))

    def forward(self, image, mask):
        """Returns (loss, reconstruction); the loss is spec §2.3 as coded (int mask, eps 1e-5, / in_chans)."""
        rec = self.decoder(self.encoder(image, mask))                            # (B, 3, H, W)
        p = self.encoder.patch_size
        pixel_mask = mask.repeat_interleave(p, 1).repeat_interleave(p, 2).unsqueeze(1).contiguous()
        l1 = F.l1_loss(image, rec, reduction="none")
        loss = (l1 * pixel_mask).sum() / (pixel_mask.sum() + 1e-5) / self.encoder.in_chans
        return loss, rec


def build_encoder(kind, cfg, for_simmim):
    """The encoder of a fixture config (named as the C# VitConfig / SwinConfig properties)."""
    if kind == "vit":
        return VitForSimMim(cfg["ImgSize"], cfg["PatchSize"], cfg["InChans"], cfg["EmbedDim"], cfg["Depth"],
                            cfg["NumHeads"], cfg["MlpRatio"], cfg["QkvBias"], cfg["InitValues"], cfg["UseApe"],
                            cfg["UseRpb"], cfg["UseSharedRpb"], cfg["LayerNormEps"], cfg["UseMeanPooling"],
                            cfg["NumClasses"], for_simmim)
    if kind == "swin":
        return SwinForSimMim(cfg["ImgSize"], cfg["PatchSize"], cfg["InChans"], cfg["EmbedDim"], cfg["Depths"],
                             cfg["NumHeads"], cfg["WindowSize"], cfg["MlpRatio"], cfg["QkvBias"], cfg["QkScale"],
                             cfg["Ape"], cfg["PatchNorm"], cfg["NumClasses"], for_simmim)
    raise ValueError(f"unknown model type {kind!r}")


def build(case):
    """Builds the SimMIM model of a fixture case (the dict written to cases.json)."""
    return SimMim(build_encoder(case["type"], case["config"], for_simmim=True))
