"""Tiny, randomly initialised diffusers video pipelines, built offline for tests.

Each builder constructs the real pipeline class (the one a hub checkpoint would load as) at a
tiny size, saves it with ``save_pretrained`` and returns the folder. Loading that folder with
``DiffusionPipeline.from_pretrained(folder, local_files_only=True, use_safetensors=True)``
goes through the same code path as a downloaded model, with no network access.

Run ``python tests/generation/tiny_pipelines.py OUTDIR`` to build all kinds, load each back
and check that two runs with the same CPU generator seed give bit-identical frames.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

KINDS: tuple[str, ...] = ("wan-t2v", "wan-i2v", "wan-vace", "ltx-condition")
# Wan 2.1 I2V layout with a CLIP image encoder; takes ``image`` only (see ``_build_wan_i2v``).
EXTRA_KINDS: tuple[str, ...] = ("wan-i2v-clip", "wan-animate", "ltx2")  # ltx2: frames + sound

# Shared by every kind so the frames line up: Wan wants 4k+1 frames and a multiple of 16, LTX
# (built here with the real 32x spatial / 8x temporal compression) 8k+1 and a multiple of 32.
HEIGHT = 32
WIDTH = 32
NUM_FRAMES = 9

# Every text encoder below is this wide; Wan's ``text_dim`` and LTX's ``caption_channels`` must
# match it.
TEXT_DIM = 32

# Tiny Wan VAE: 8x spatial and 4x temporal compression like the real one. ``z_dim`` must stay 16:
# the default ``latents_mean`` / ``latents_std`` config lists have 16 entries.
_WAN_VAE_CONFIG: dict[str, Any] = {
    "base_dim": 3,
    "z_dim": 16,
    "dim_mult": [1, 1, 1, 1],
    "num_res_blocks": 1,
    "temperal_downsample": [False, True, True],
}

# inner_dim = 2 heads * 12 = 24; the head dim is split three ways for 3D RoPE.
_WAN_TRANSFORMER_CONFIG: dict[str, Any] = {
    "patch_size": (1, 2, 2),
    "num_attention_heads": 2,
    "attention_head_dim": 12,
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": TEXT_DIM,
    "freq_dim": 256,
    "ffn_dim": 32,
    "num_layers": 2,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "rope_max_seq_len": 32,
}
_WAN_INNER_DIM = 24

# CLIP vision tower for Wan 2.1 I2V; the pipeline feeds its penultimate hidden state
# (``hidden_size`` wide) to the transformer, so ``image_dim`` must equal ``hidden_size``.
_CLIP_HIDDEN = 8


def _tokenizer() -> Any:
    """An in-memory Unigram T5 tokenizer: characters plus a few whole words, no download."""
    from transformers import T5Tokenizer

    # pad=0, eos=1, unk=2 must come first: T5 models rely on those ids.
    pieces: list[tuple[str, float]] = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    words = ["▁a", "▁the", "▁red", "▁fox", "▁cat", "▁dog", "▁in", "▁of", "▁snow"]
    pieces += [(word, -2.0) for word in words]
    pieces += [("▁", -3.0)]
    pieces += [(char, -4.0) for char in "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-"]
    # model_max_length as in the real repos; the default is a huge sentinel value.
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=512)


def _umt5_encoder(vocab_size: int) -> Any:
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(
        vocab_size=vocab_size,
        d_model=TEXT_DIM,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        dropout_rate=0.0,
    )
    torch.manual_seed(0)
    return UMT5EncoderModel(config).eval()  # eval: dropout would break determinism


def _t5_encoder(vocab_size: int) -> Any:
    from transformers import T5Config, T5EncoderModel

    config = T5Config(
        vocab_size=vocab_size,
        d_model=TEXT_DIM,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        dropout_rate=0.0,
    )
    torch.manual_seed(0)
    return T5EncoderModel(config).eval()


def _wan_vae() -> Any:
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(**_WAN_VAE_CONFIG)


def _wan_scheduler() -> Any:
    from diffusers import UniPCMultistepScheduler

    # The scheduler the Wan 2.1 hub repos ship.
    return UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
    )


def _wan_text() -> dict[str, Any]:
    tokenizer = _tokenizer()
    return {"tokenizer": tokenizer, "text_encoder": _umt5_encoder(len(tokenizer))}


def _build_wan_t2v() -> Any:
    from diffusers import WanPipeline, WanTransformer3DModel

    torch.manual_seed(0)
    transformer = WanTransformer3DModel(**_WAN_TRANSFORMER_CONFIG)
    return WanPipeline(
        vae=_wan_vae(), transformer=transformer, scheduler=_wan_scheduler(), **_wan_text()
    )


def _build_wan_i2v() -> Any:
    """Wan 2.2 A14B-style I2V: 36-channel transformer, no CLIP image encoder.

    Wan 2.1 I2V (CLIP ``image_encoder``, ``image_dim`` set) cannot take both call shapes with
    one set of weights: with ``last_image`` the pipeline encodes two images and the transformer
    only accepts them when ``pos_embed_seq_len`` is set (the FLF2V variant), which in turn
    breaks calls with ``image`` alone. This layout conditions through the VAE latents and mask
    only, so ``image=`` and ``image=`` + ``last_image=`` both work.
    """
    from diffusers import WanImageToVideoPipeline, WanTransformer3DModel

    torch.manual_seed(0)
    # 16 noise + 4 mask (the 4 frames folded into each latent frame) + 16 condition channels.
    transformer = WanTransformer3DModel(**{**_WAN_TRANSFORMER_CONFIG, "in_channels": 36})
    return WanImageToVideoPipeline(
        vae=_wan_vae(),
        transformer=transformer,
        scheduler=_wan_scheduler(),
        image_encoder=None,
        image_processor=None,
        **_wan_text(),
    )


def _build_wan_i2v_clip() -> Any:
    """Wan 2.1 I2V layout: CLIP vision tower + image processor, image cross-attention."""
    from diffusers import WanImageToVideoPipeline, WanTransformer3DModel
    from transformers import CLIPImageProcessorPil, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        **{**_WAN_TRANSFORMER_CONFIG, "in_channels": 36},
        image_dim=_CLIP_HIDDEN,
        added_kv_proj_dim=_WAN_INNER_DIM,  # image tokens get their own K/V projections
    )
    clip_config = CLIPVisionConfig(
        hidden_size=_CLIP_HIDDEN,
        projection_dim=_CLIP_HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=16,
        image_size=32,
        patch_size=8,
    )
    torch.manual_seed(0)
    # CLIPVisionModel, as in the Wan 2.1 I2V repos: the pipeline's type hint; the
    # ...WithProjection variant loads too but logs "Expected types for image_encoder".
    image_encoder = CLIPVisionModel(clip_config).eval()
    return WanImageToVideoPipeline(
        vae=_wan_vae(),
        transformer=transformer,
        scheduler=_wan_scheduler(),
        image_encoder=image_encoder,
        # The PIL backend explicitly: CLIPImageProcessor picks it only when torchvision is
        # missing, which would make the saved folder and the frames depend on the machine.
        image_processor=CLIPImageProcessorPil(size=32, crop_size=32),
        **_wan_text(),
    )


# Wan Animate's face motion encoder at 16x16 (the real one: 512): its conv pyramid needs a
# channel count per power of two from the size down to 4.
ANIMATE_FACE_SIZE = 16


def _build_wan_animate() -> Any:
    """Wan 2.2 Animate: a character picture (CLIP image tokens and the VAE reference latent)
    driven by a pose video and a face video (the face motion encoder)."""
    from diffusers import WanAnimatePipeline, WanAnimateTransformer3DModel
    from transformers import CLIPImageProcessorPil, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    transformer = WanAnimateTransformer3DModel(
        **{**_WAN_TRANSFORMER_CONFIG, "in_channels": 36}, latent_channels=16,
        image_dim=_CLIP_HIDDEN, motion_encoder_size=ANIMATE_FACE_SIZE,
        motion_encoder_channel_sizes={"16": 8, "8": 8, "4": 8}, motion_style_dim=8,
        motion_dim=4, motion_encoder_dim=8, face_encoder_hidden_dim=8,
        face_encoder_num_heads=2, inject_face_latents_blocks=1, motion_encoder_batch_size=4)
    clip_config = CLIPVisionConfig(hidden_size=_CLIP_HIDDEN, projection_dim=_CLIP_HIDDEN,
                                   num_hidden_layers=2, num_attention_heads=2,
                                   intermediate_size=16, image_size=32, patch_size=8)
    torch.manual_seed(0)
    image_encoder = CLIPVisionModel(clip_config).eval()
    return WanAnimatePipeline(
        vae=_wan_vae(), transformer=transformer, scheduler=_wan_scheduler(),
        image_encoder=image_encoder,
        image_processor=CLIPImageProcessorPil(size=32, crop_size=32), **_wan_text())


def _build_wan_vace() -> Any:
    from diffusers import WanVACEPipeline, WanVACETransformer3DModel

    torch.manual_seed(0)
    # vace_in_channels = 16 inactive + 16 reactive latents + 8*8 mask channels (spatial factor^2).
    transformer = WanVACETransformer3DModel(
        **{**_WAN_TRANSFORMER_CONFIG, "num_layers": 3},
        vace_layers=[0, 2],
        vace_in_channels=96,
    )
    return WanVACEPipeline(
        vae=_wan_vae(), transformer=transformer, scheduler=_wan_scheduler(), **_wan_text()
    )


def _build_ltx_condition() -> Any:
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    latent_channels = 8
    torch.manual_seed(0)
    # patch_size 4 and three down/up-scaling blocks give the real model's 32x spatial and 8x
    # temporal compression, so the real frame (8k+1) and size (multiple of 32) rules apply.
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=latent_channels,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=latent_channels,
        out_channels=latent_channels,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        num_layers=1,
        caption_channels=TEXT_DIM,
    )
    tokenizer = _tokenizer()
    return LTXConditionPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=_t5_encoder(len(tokenizer)),
        tokenizer=tokenizer,
        transformer=transformer,
    )


# Tiny Stable Audio: a real StableAudioPipeline at 8 kHz stereo, hop 32 (downsampling 2x4x4),
# 1280 latent samples: at most 1280 * 32 / 8000 = 5.12 s per take (the published Open 1.0
# makes 44.1 kHz, hop 2048, 1024 latents: 47.55 s). CosineDPMSolverMultistepScheduler is what
# the published repos ship (it needs torchsde).
AUDIO_RATE = 8000
AUDIO_SAMPLE_SIZE = 1280
AUDIO_MAX_SECONDS = AUDIO_SAMPLE_SIZE * 32 / AUDIO_RATE


def _build_stable_audio() -> Any:
    from diffusers import (
        AutoencoderOobleck,
        CosineDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )

    torch.manual_seed(0)
    transformer = StableAudioDiTModel(
        sample_size=AUDIO_SAMPLE_SIZE, in_channels=3, num_layers=2, attention_head_dim=4,
        num_attention_heads=2,
        num_key_value_attention_heads=2, out_channels=3, cross_attention_dim=4,
        time_proj_dim=8, global_states_input_dim=8, cross_attention_input_dim=4,
    )
    scheduler = CosineDPMSolverMultistepScheduler(
        solver_order=2, prediction_type="v_prediction", sigma_data=1.0,
        sigma_schedule="exponential",
    )
    torch.manual_seed(0)
    vae = AutoencoderOobleck(
        encoder_hidden_size=6, downsampling_ratios=[2, 4, 4], decoder_channels=3,
        decoder_input_channels=3, audio_channels=2, channel_multiples=[2, 2, 4],
        sampling_rate=AUDIO_RATE,
    )
    tokenizer = _tokenizer()
    tokenizer.model_max_length = 16  # the pipeline pads every prompt to it
    text_encoder = _t5_encoder(len(tokenizer))
    torch.manual_seed(0)
    projection = StableAudioProjectionModel(
        text_encoder_dim=TEXT_DIM, conditioning_dim=4, min_value=0, max_value=64)
    return StableAudioPipeline(
        vae=vae, text_encoder=text_encoder, projection_model=projection, tokenizer=tokenizer,
        transformer=transformer, scheduler=scheduler,
    )


# Tiny Stable Audio 3 at 1 kHz stereo (hop 4): T5Gemma text encoder, a byte-level Gemma
# tokenizer built offline, the SAME VAE. Its DiT and VAE zero-initialise their output
# projections (a trained model's starting point): with random weights that makes silence
# whatever the input, so those are given small random values too.
SA3_RATE = 1000
_SA3_COND = 16


def _build_stable_audio_3() -> Any:
    from diffusers import (
        AutoencoderSAME,
        FlowMatchEulerDiscreteScheduler,
        StableAudio3DiTModel,
        StableAudio3Pipeline,
    )
    from diffusers.pipelines.stable_audio_3.modeling_stable_audio_3 import (
        StableAudio3DurationEmbedder,
    )
    from transformers import GemmaTokenizer, T5GemmaConfig, T5GemmaEncoderModel
    from transformers.models.t5gemma.configuration_t5gemma import T5GemmaModuleConfig

    torch.manual_seed(0)
    transformer = StableAudio3DiTModel(
        io_channels=8, patch_size=1, embed_dim=32, depth=2, num_heads=4,
        cond_token_dim=_SA3_COND, global_cond_dim=_SA3_COND, local_add_cond_dim=9,
        timestep_features_dim=16, ff_mult=2, num_memory_tokens=3,
        use_differential_attention=False,
    )
    torch.manual_seed(0)
    vae = AutoencoderSAME(
        audio_channels=2, patch_size=2, encoder_channels=8, encoder_c_mults=(2,),
        encoder_strides=(2,), encoder_transformer_depths=(1,), latent_dim=8,
        use_differential_attention=False, dim_heads=4, ff_mult=2, sampling_rate=SA3_RATE,
    )
    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<mask>": 4}
    for char in "abcdefghijklmnopqrstuvwxyz0123456789 .,'-▁":
        vocab.setdefault(char, len(vocab))
    tokenizer = GemmaTokenizer(vocab=vocab, merges=[])
    tokenizer.model_max_length = 16
    module = T5GemmaModuleConfig(
        vocab_size=len(vocab), hidden_size=_SA3_COND, intermediate_size=32,
        num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=8,
        max_position_embeddings=64, sliding_window=64,
        layer_types=["full_attention", "full_attention"],
    )
    torch.manual_seed(0)
    text_encoder = T5GemmaEncoderModel(T5GemmaConfig(
        encoder=module.to_dict(), decoder=module.to_dict(), is_encoder_decoder=False)).eval()
    torch.manual_seed(0)
    duration_embedder = StableAudio3DurationEmbedder(output_dim=_SA3_COND, fourier_dim=16,
                                                     max_val=8.0)
    noise = torch.Generator().manual_seed(0)
    for model in (transformer, vae, duration_embedder):
        for param in model.parameters():
            if not param.detach().abs().sum():
                with torch.no_grad():
                    param.copy_(torch.randn(param.shape, generator=noise) * 0.2)
    return StableAudio3Pipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
        duration_embedder=duration_embedder, transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
    )


# Tiny LTX-2 (the sizes of diffusers' own tests/pipelines/ltx2): a Gemma 3 text encoder built
# from a config (a tiny SigLIP vision tower included: the class has one) with a byte-level
# Gemma tokenizer made offline; the text connectors, video transformer, video VAE (2x spatial
# and temporal compression), audio VAE and vocoder. The sound: an 8 kHz mel at hop 16 and a
# 16x vocoder, so 8000 samples a second of stereo (the published model: 16 kHz mel, hop
# 160, a 24 kHz vocoder). The pipeline itself still wants sizes in multiples of 32.
LTX2_RATE = 8000
_LTX2_TEXT = 32  # = the connectors' heads x head dim (4 x 8)


def _build_ltx2() -> Any:
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, GemmaTokenizer

    vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<mask>": 4}
    for char in "abcdefghijklmnopqrstuvwxyz0123456789 .,'-▁":
        vocab.setdefault(char, len(vocab))
    tokenizer = GemmaTokenizer(vocab=vocab, merges=[])
    tokenizer.model_max_length = 16
    text = {"vocab_size": len(vocab), "hidden_size": _LTX2_TEXT, "intermediate_size": 32,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1,
            "head_dim": 8, "max_position_embeddings": 64, "sliding_window": 64,
            "layer_types": ["full_attention", "full_attention"]}
    vision = {"hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
              "num_attention_heads": 2, "image_size": 16, "patch_size": 8}
    torch.manual_seed(0)
    text_encoder = Gemma3ForConditionalGeneration(Gemma3Config(
        text_config=text, vision_config=vision, mm_tokens_per_image=4)).eval()
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4, out_channels=4, patch_size=1, patch_size_t=1, num_attention_heads=2,
        attention_head_dim=8, cross_attention_dim=16, audio_in_channels=4,
        audio_out_channels=4, audio_num_attention_heads=2, audio_attention_head_dim=4,
        audio_cross_attention_dim=8, num_layers=2, qk_norm="rms_norm_across_heads",
        caption_channels=_LTX2_TEXT, rope_double_precision=False, rope_type="split")
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=_LTX2_TEXT, text_proj_in_factor=text["num_hidden_layers"] + 1,
        video_connector_num_attention_heads=4, video_connector_attention_head_dim=8,
        video_connector_num_layers=1, video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4, audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1, audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32, rope_theta=10000.0, rope_double_precision=False,
        causal_temporal_positioning=False, rope_type="split")
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8,),
        decoder_block_out_channels=(8,), layers_per_block=(1,),
        decoder_layers_per_block=(1, 1), spatio_temporal_scaling=(True,),
        decoder_spatio_temporal_scaling=(True,), decoder_inject_noise=(False, False),
        downsample_type=("spatial",), upsample_residual=(False,), upsample_factor=(1,),
        timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True,
        decoder_causal=False)
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4, output_channels=2, ch_mult=(1,), num_res_blocks=1,
        attn_resolutions=None, in_channels=2, resolution=32, latent_channels=2,
        norm_type="pixel", causality_axis="height", dropout=0.0,
        mid_block_add_attention=False, sample_rate=LTX2_RATE, mel_hop_length=16,
        is_causal=True, mel_bins=8)
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=2 * 8, hidden_channels=32, out_channels=2, upsample_kernel_sizes=[8, 8],
        upsample_factors=[4, 4], resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1, output_sampling_rate=LTX2_RATE)
    return LTX2Pipeline(
        transformer=transformer, vae=vae, audio_vae=audio_vae,
        scheduler=FlowMatchEulerDiscreteScheduler(), text_encoder=text_encoder,
        tokenizer=tokenizer, connectors=connectors, vocoder=vocoder)


_BUILDERS: dict[str, Callable[[], Any]] = {
    "wan-t2v": _build_wan_t2v,
    "wan-i2v": _build_wan_i2v,
    "wan-i2v-clip": _build_wan_i2v_clip,
    "wan-vace": _build_wan_vace,
    "ltx-condition": _build_ltx_condition,
    "wan-animate": _build_wan_animate,
    "stable-audio": _build_stable_audio,
    "stable-audio-3": _build_stable_audio_3,
    "ltx2": _build_ltx2,
}


def build_tiny_pipeline(kind: str, directory: Path) -> Path:
    """Build the tiny pipeline ``kind`` with random weights and save it into ``directory``."""
    if kind not in _BUILDERS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(_BUILDERS)}")
    directory = Path(directory)
    pipe = _BUILDERS[kind]()
    pipe.save_pretrained(directory, safe_serialization=True)
    return directory


def _gradient(color: tuple[int, int, int]) -> Image.Image:
    """A solid colour with a horizontal ramp, so images are not flat (flat input hides bugs)."""
    ramp = np.linspace(0.0, 1.0, WIDTH, dtype=np.float32)[None, :, None]
    pixels = (np.asarray(color, dtype=np.float32)[None, None, :] * (0.5 + 0.5 * ramp)).round()
    pixels = np.broadcast_to(pixels, (HEIGHT, WIDTH, 3)).astype(np.uint8)
    return Image.fromarray(pixels, mode="RGB")


def tiny_call_kwargs(kind: str) -> dict[str, Any]:
    """Minimal, fast call arguments for ``kind``; callers add ``prompt`` and ``generator``."""
    common: dict[str, Any] = {
        "height": HEIGHT,
        "width": WIDTH,
        "num_frames": NUM_FRAMES,
        "num_inference_steps": 3,
        "guidance_scale": 3.0,  # > 1 so the classifier-free guidance path runs
        "max_sequence_length": 16,
        "output_type": "np",
    }
    if kind == "wan-t2v":
        return common
    if kind == "wan-i2v":
        return {**common, "image": _gradient((220, 40, 30)), "last_image": _gradient((30, 40, 220))}
    if kind == "wan-i2v-clip":
        return {**common, "image": _gradient((220, 40, 30))}
    if kind == "wan-vace":
        # Keep the first and last two frames, regenerate the middle (white = regenerate).
        keep = {0, 1, NUM_FRAMES - 2, NUM_FRAMES - 1}
        black = Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0))
        white = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
        gray = Image.new("RGB", (WIDTH, HEIGHT), (128, 128, 128))
        return {
            **common,
            "video": [_gradient((40, 160, 60)) if i in keep else gray for i in range(NUM_FRAMES)],
            "mask": [black if i in keep else white for i in range(NUM_FRAMES)],
            "reference_images": [_gradient((200, 120, 20))],
        }
    if kind == "wan-animate":
        face = Image.new("RGB", (ANIMATE_FACE_SIZE, ANIMATE_FACE_SIZE), (150, 110, 90))
        pose = [_gradient((20 * i, 200, 40)) for i in range(NUM_FRAMES)]
        return {"height": HEIGHT, "width": WIDTH, "segment_frame_length": NUM_FRAMES,
                "num_inference_steps": 3, "guidance_scale": 1.0, "max_sequence_length": 16,
                "output_type": "np", "image": _gradient((220, 40, 30)), "pose_video": pose,
                "face_video": [face] * NUM_FRAMES}
    if kind == "ltx-condition":
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        condition = LTXVideoCondition(image=_gradient((220, 40, 30)), frame_index=0, strength=1.0)
        return {**common, "conditions": [condition]}
    if kind == "ltx2":
        return {**common, "frame_rate": 24.0}
    raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(_BUILDERS)}")


def _folder_kb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1024


def _run(pipe: Any, kind: str, seed: int = 7) -> np.ndarray:
    generator = torch.Generator("cpu").manual_seed(seed)  # fresh: a generator's state is consumed
    result = pipe(prompt="a red fox", generator=generator, **tiny_call_kwargs(kind))
    return np.asarray(result.frames)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} OUTDIR", file=sys.stderr)
        return 2
    import diffusers
    import transformers

    # Progress bars only: "Writing model shards", "Loading weights", "Loading pipeline ...".
    transformers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.disable_progress_bar()
    torch.set_num_threads(min(2, torch.get_num_threads()))  # match a 2-core CI runner
    out_dir = Path(argv[1])
    failures = 0
    header = f"{'kind':<14} {'class':<24} {'KB':>5} {'output shape':<18} {'s/run':>5}"
    print(f"{header} same seed-sensitive")
    for kind in KINDS + EXTRA_KINDS:
        directory = out_dir / kind
        if directory.exists():
            shutil.rmtree(directory)
        build_tiny_pipeline(kind, directory)
        pipe = diffusers.DiffusionPipeline.from_pretrained(
            directory, local_files_only=True, use_safetensors=True
        )
        pipe.set_progress_bar_config(disable=True)
        started = time.perf_counter()
        first = _run(pipe, kind)
        second = _run(pipe, kind)
        per_run = (time.perf_counter() - started) / 2
        same = bool(np.array_equal(first, second))
        # A different seed must change the frames, or "same" above proves nothing.
        seed_sensitive = not np.array_equal(first, _run(pipe, kind, seed=8))
        failures += not (same and seed_sensitive)
        print(
            f"{kind:<14} {type(pipe).__name__:<24} {_folder_kb(directory):>5.0f} "
            f"{str(first.shape):<18} {per_run:>5.2f} {same!s:<4} {seed_sensitive}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
