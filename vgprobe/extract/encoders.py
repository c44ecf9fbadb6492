"""Models that extraction can run, behind one small interface.

- FaST-VGS checkpoints (authors' or vgprobe's folders) and ``random:<preset>`` (seeded random
  init, the probing baseline): layers ``cnn``, ``trm1.0``..``trm1.8``, ``conv2``, ``trm2.1``,
  ``audio.coarse``; per-utterance z-normalisation as the authors.
- Hugging Face speech encoders saved locally (wav2vec2, HuBERT, WavLM, data2vec-audio):
  layers ``hidden.k`` (the k-th element of ``hidden_states``); the folder's own feature
  extractor decides the normalisation.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
import torch

from vgprobe.errors import CheckpointError, ConfigError
from vgprobe.audio import SAMPLE_RATE, znorm

HF_MODEL_TYPES = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "wav2vec2-conformer")


class Encoder(Protocol):
    description: str  # what was loaded, for meta.yaml
    fingerprint: str  # sha256 of the weights (or of the random-init recipe)

    def layer_names(self) -> list[str]: ...
    def frame_shift(self, layer: str) -> float | None: ...
    def dim(self, layer: str) -> int: ...
    def n_frames(self, layer: str, n_samples: int) -> int: ...
    def normalisation(self) -> str: ...
    def prepare(self, samples: np.ndarray) -> torch.Tensor: ...
    def compute(self, wavs: Sequence[torch.Tensor], layers: Sequence[str]) -> list[dict[str, np.ndarray]]: ...
    def to(self, device: str) -> "Encoder": ...


def sha256_files(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _conv_frames(n: int, conv: Sequence[tuple[int, int]]) -> int:
    for k, s in conv:
        n = (n - k) // s + 1
    return max(n, 0)


# ---------------------------------------------------------------------------- FaST-VGS
@dataclass
class FaSTVGSEncoder:
    model: "torch.nn.Module"
    description: str
    fingerprint: str
    dtype: torch.dtype = torch.float32

    def layer_names(self) -> list[str]:
        from vgprobe.fastvgs.layers import layer_names

        return layer_names(self.model.cfg)

    def frame_shift(self, layer: str) -> float | None:
        from vgprobe.fastvgs.layers import frame_shift

        return frame_shift(layer, self.model.cfg)

    def dim(self, layer: str) -> int:
        return self.model.cfg.cnn_dim if layer == "cnn" else self.model.cfg.hidden_size

    def n_frames(self, layer: str, n_samples: int) -> int:
        from vgprobe.fastvgs.conv2 import n_conv2_frames
        from vgprobe.fastvgs.trm1 import n_cnn_frames

        t = n_cnn_frames(n_samples, self.model.cfg)
        if layer == "audio.coarse":
            return 1
        if layer in ("conv2", "trm2.1"):
            t_res = n_conv2_frames(t)
            return min(t_res, int(t / round(t / t_res)))  # the authors' Conv2 length rule
        return t

    def normalisation(self) -> str:
        return "per-utterance z-normalisation (x - mean) / std, as the FaST-VGS authors"

    def prepare(self, samples: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(znorm(samples))

    def compute(self, wavs: Sequence[torch.Tensor], layers: Sequence[str]) -> list[dict[str, np.ndarray]]:
        dev = next(self.model.parameters()).device
        wavs = [w.to(dev) for w in wavs]
        with torch.inference_mode(), _autocast(dev, self.dtype):
            outs = self.model.audio_layers_each(wavs, layers)
        return [{k: _numpy_2d(v) for k, v in o.items()} for o in outs]

    def to(self, device: str) -> "FaSTVGSEncoder":
        self.model.to(device)
        return self


def _numpy_2d(t: torch.Tensor) -> np.ndarray:
    a = t.detach().float().cpu().numpy()
    return a[None, :] if a.ndim == 1 else a


def _autocast(device: torch.device, dtype: torch.dtype):
    if dtype == torch.float32:
        import contextlib

        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


# ---------------------------------------------------------------------------- Hugging Face
@dataclass
class HFEncoder:
    model: "torch.nn.Module"
    feature_extractor: object
    description: str
    fingerprint: str
    dtype: torch.dtype = torch.float32

    @property
    def _conv(self) -> list[tuple[int, int]]:
        c = self.model.config
        return list(zip(c.conv_kernel, c.conv_stride))

    def layer_names(self) -> list[str]:
        return [f"hidden.{k}" for k in range(self.model.config.num_hidden_layers + 1)]

    def frame_shift(self, layer: str) -> float | None:
        return float(np.prod([s for _, s in self._conv])) / SAMPLE_RATE

    def dim(self, layer: str) -> int:
        return self.model.config.hidden_size

    def n_frames(self, layer: str, n_samples: int) -> int:
        return _conv_frames(n_samples, self._conv)

    def normalisation(self) -> str:
        on = bool(getattr(self.feature_extractor, "do_normalize", False))
        return "Hugging Face feature extractor, do_normalize=" + ("true" if on else "false")

    def prepare(self, samples: np.ndarray) -> torch.Tensor:
        out = self.feature_extractor(samples, sampling_rate=SAMPLE_RATE, return_tensors="np")
        return torch.from_numpy(np.asarray(out["input_values"][0], dtype=np.float32))

    def compute(self, wavs: Sequence[torch.Tensor], layers: Sequence[str]) -> list[dict[str, np.ndarray]]:
        # One file at a time: with a GroupNorm CNN (wav2vec2-base, HuBERT-base) padding would change
        # the features, and Hugging Face's batched forward cannot avoid it.
        idx = [int(n.split(".")[1]) for n in layers]
        dev = next(self.model.parameters()).device
        res = []
        with torch.inference_mode(), _autocast(dev, self.dtype):
            for w in wavs:
                hs = self.model(w[None].to(dev), output_hidden_states=True).hidden_states
                res.append({n: _numpy_2d(hs[k][0]) for n, k in zip(layers, idx)})
        return res

    def to(self, device: str) -> "HFEncoder":
        self.model.to(device)
        return self


# ---------------------------------------------------------------------------- log-mel baseline
@dataclass
class LogMelEncoder:
    """``logmel``: 40 log-mel filterbank energies, 25 ms Hann window, 10 ms shift (no centring:
    frame i covers samples [160 i, 160 i + 400), like the wav2vec2 CNN). The usual
    untrained baseline of phonetic probing. Mel filters from ``transformers.audio_utils``."""

    n_mels: int = 40
    description: str = "log-mel filterbank baseline (40 bands, 25 ms / 10 ms)"
    fingerprint: str = "logmel-40-400-160-htk"
    dtype: torch.dtype = torch.float32

    def __post_init__(self) -> None:
        from transformers.audio_utils import mel_filter_bank

        fb = mel_filter_bank(num_frequency_bins=201, num_mel_filters=self.n_mels, min_frequency=20.0,
                             max_frequency=SAMPLE_RATE / 2, sampling_rate=SAMPLE_RATE, mel_scale="htk")
        self._fb = torch.from_numpy(fb.astype(np.float32))  # (201, n_mels)
        self._window = torch.hann_window(400)

    def layer_names(self) -> list[str]:
        return ["logmel"]

    def frame_shift(self, layer: str) -> float | None:
        return 0.01

    def dim(self, layer: str) -> int:
        return self.n_mels

    def n_frames(self, layer: str, n_samples: int) -> int:
        return _conv_frames(n_samples, [(400, 160)])

    def normalisation(self) -> str:
        return "none (raw waveform)"

    def prepare(self, samples: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(samples)

    def compute(self, wavs: Sequence[torch.Tensor], layers: Sequence[str]) -> list[dict[str, np.ndarray]]:
        res = []
        for w in wavs:
            spec = torch.stft(w, n_fft=400, hop_length=160, win_length=400, window=self._window,
                              center=False, return_complex=True)  # (201, T)
            power = spec.abs() ** 2
            res.append({"logmel": torch.log(power.T @ self._fb + 1e-6).numpy()})
        return res

    def to(self, device: str) -> "LogMelEncoder":
        return self


# ---------------------------------------------------------------------------- factory
def is_hf_speech_folder(path: Path) -> bool:
    cfg = path / "config.json"
    if not cfg.is_file():
        return False
    try:
        model_type = json.loads(cfg.read_text(encoding="utf-8")).get("model_type")
    except (OSError, json.JSONDecodeError):
        return False
    return model_type in HF_MODEL_TYPES


def load_encoder(checkpoint: str, *, seed: int = 0, dtype: str = "float32") -> Encoder:
    """``checkpoint``: a FaST-VGS folder, a Hugging Face speech-encoder folder, ``random:<preset>``
    or ``logmel`` (the log-mel baseline)."""
    torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}.get(dtype)
    if torch_dtype is None:
        raise ConfigError(f"unknown dtype {dtype!r}; expected float32 or bfloat16")
    if checkpoint == "logmel":
        return LogMelEncoder()
    m = re.fullmatch(r"random:(.+)", checkpoint)
    if m:
        from vgprobe.fastvgs import FaSTVGS, preset

        cfg = preset(m.group(1))
        torch.manual_seed(seed)
        model = FaSTVGS(cfg).eval()
        recipe = json.dumps({"random": m.group(1), "seed": seed, "config": cfg.to_dict()}, sort_keys=True)
        return FaSTVGSEncoder(
            model, f"FaST-VGS {m.group(1)} at random initialisation (seed {seed})",
            hashlib.sha256(recipe.encode()).hexdigest(), torch_dtype,
        )
    path = Path(checkpoint)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint (a FaST-VGS folder, a Hugging Face folder or random:<preset>)")
    if path.is_dir() and is_hf_speech_folder(path):  # vgprobe's config.json has no model_type
        return _load_hf(path, torch_dtype)
    from vgprobe.fastvgs.checkpoint import AUTHORS_BUNDLES, WEIGHTS_NAME, checkpoint_kind, load

    kind = checkpoint_kind(path)
    model = load(path)
    files = [path / WEIGHTS_NAME] if kind == "vgprobe" else [
        next(path / b for b in AUTHORS_BUNDLES if (path / b).is_file()), path / "args.pkl"]
    return FaSTVGSEncoder(model, f"FaST-VGS ({kind} checkpoint) {path.resolve()}", sha256_files(files), torch_dtype)


def _load_hf(path: Path, dtype: torch.dtype) -> HFEncoder:
    from transformers import AutoFeatureExtractor, AutoModel

    if not (path / "preprocessor_config.json").is_file():
        raise CheckpointError(
            f"{path}: no preprocessor_config.json; vgprobe needs the model's own feature-extractor settings "
            "(normalisation) to extract faithfully. Save it with feature_extractor.save_pretrained(folder)."
        )
    try:
        model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        fe = AutoFeatureExtractor.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot load the Hugging Face model ({exc})") from exc
    weights = sorted(p for p in path.iterdir() if p.suffix in (".safetensors", ".bin"))
    return HFEncoder(model, fe, f"Hugging Face {model.config.model_type} {path.resolve()}", sha256_files(weights), dtype)
