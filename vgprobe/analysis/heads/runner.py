"""Forward passes for many head ablations, reusing everything below the first ablated layer.

Ablating a head of layer k of a stack cannot change the layers below k, so the inputs of layer k are cached
once (on the unablated model) and only layers k.. run per ablation. The ablations that start at the same
layer run together: the cached batch is repeated once per ablation, and a per-row head mask
(:func:`~vgprobe.analysis.heads.masking.head_mask`) switches off each row's heads.

Files are batched without padding: the phonetic and semantic files are grouped by their exact number of
frames, so every file is computed exactly as when it is run alone (the semantics of
``FaSTVGS.audio_layers_each``). Retrieval captions are run as the retrieval evaluation runs them: cut or
padded to a fixed length, with the authors' padding masks (``FaSTVGS.encode_audio``).

Memory: the input of the current layer of every evaluation file is held (about n_frames x hidden_size floats
per set, plus one Trm2 and one image-encoder input per file), and one forward call at a time holds at most
``budget`` floats per activation (attention scores included).

Outputs go to a *sink*: ``frames(ablation, kind, key, array)`` for phonetic features (the ABX layer) and
semantic features (the sSIMI layer), ``coarse(ablation, side, rows, array)`` for coarse embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal, Protocol, Sequence

import numpy as np
import torch

from vgprobe.analysis.heads.data import AblationSets
from vgprobe.analysis.heads.masking import HeadRef, head_mask, keep_vectors, mask_target
from vgprobe.errors import ConfigError

Ablation = tuple[HeadRef, ...]  # heads switched off together; () = the unablated model
STACK_ORDER = ("trm1", "trm2", "image")
DEFAULT_BUDGET = 2**25  # floats in the largest activation of one forward call (attention scores or hidden states)


class Sink(Protocol):
    def frames(self, ablation: int, kind: Literal["phonetic", "semantic"], key: str, array: np.ndarray) -> None: ...
    def coarse(self, ablation: int, side: Literal["audio", "image"], rows: slice, array: np.ndarray) -> None: ...


@dataclass
class MemorySink:
    """Keeps everything: ``frames_[ablation][kind][key]`` (T, D) and ``coarse_[ablation][side]`` (N, D)."""

    frames_: dict = field(default_factory=dict)
    coarse_: dict = field(default_factory=dict)

    def frames(self, ablation, kind, key, array):
        self.frames_.setdefault(ablation, {}).setdefault(kind, {})[key] = array

    def coarse(self, ablation, side, rows, array):
        self.coarse_.setdefault(ablation, {}).setdefault(side, []).append((rows.start, array))

    def coarse_matrix(self, ablation: int, side: str) -> np.ndarray:
        parts = sorted(self.coarse_[ablation][side], key=lambda p: p[0])
        return np.concatenate([a for _, a in parts])


@dataclass
class _Group:
    """Files run together: ``x`` (n, T+1, D) is the input of Trm1 layer ``runner.k1`` (CLS first); ``pad`` (n, T)
    is the frame padding of retrieval chunks (None: no padding)."""

    keys: list[str]
    x: torch.Tensor
    pad: torch.Tensor | None
    rows: slice = field(default_factory=lambda: slice(0, 0))
    top_in: tuple[torch.Tensor, torch.Tensor] | None = None  # input of Trm2 layer ``runner.k2`` and its mask


def check_ablations(model, ablations: Iterable[Sequence[HeadRef]]) -> list[Ablation]:
    """Normalise (sorted tuples), validate, and require one stack per ablation among trm1, trm2, image."""
    out = []
    for ab in ablations:
        ab = tuple(sorted({(str(s), int(k), int(h)) for s, k, h in ab}))
        keep_vectors(model, ab)  # validates names and ranges
        stacks = {s for s, _, _ in ab}
        if len(stacks) > 1 or not stacks <= set(STACK_ORDER):
            raise ConfigError(f"ablation {list(ab)}: the heads must all lie in one of {list(STACK_ORDER)} "
                              "(cross-encoder heads change only fine scores, which no metric here reads)")
        out.append(ab)
    return out


def start_of(ab: Ablation) -> tuple[str, int]:
    return (ab[0][0], min(k for _, k, _ in ab)) if ab else ("trm1", 1)


class Runner:
    """Cached layer inputs of ``sets`` for ``model`` (FaST-VGS, eval mode), advanced layer by layer."""

    def __init__(self, model, sets: AblationSets, *, abx_layer: int | None, semantic_layer: str | None,
                 budget: int = DEFAULT_BUDGET, batch_size: int = 32) -> None:
        self.model, self.sets, self.budget = model, sets, budget
        self.abx_k = abx_layer
        self.sem_layer = semantic_layer
        self.n1 = model.cfg.trm1_layers
        self.dev = next(model.parameters()).device
        self.k1 = 1
        self.k2: int | None = None
        self.ki: int | None = None
        with torch.no_grad():
            self.phon = self._exact_groups({f"{s.name}/{k}": w for s in sets.phonetic
                                            for k, w in s.utterances.items()}) if abx_layer else []
            sem = sets.semantic.utterances if (sets.semantic and semantic_layer) else {}
            self.sem = self._exact_groups({f"{t}/{k}": w for t, u in sem.items() for k, w in u.items()})
            self.ret = self._padded_groups(batch_size) if sets.retrieval is not None else []
            self.img = self._image_groups(batch_size) if sets.retrieval is not None else []
        if self.img:
            self.ki = 1

    # ---------------------------------------------------------------- inputs
    def _exact_groups(self, utts: dict[str, torch.Tensor]) -> list[_Group]:
        by_len: dict[int, list[tuple[str, torch.Tensor]]] = {}
        for key in sorted(utts):
            out, lengths = self.model.trm1.forward_each([utts[key].to(self.dev)], keep=frozenset({"trm1.0"}), upto=0)
            by_len.setdefault(lengths[0], []).append((key, out["trm1.0"][0]))
        return [_Group([k for k, _ in g], torch.stack([x for _, x in g]), None) for _, g in sorted(by_len.items())]

    def _padded_groups(self, batch: int) -> list[_Group]:
        r = self.sets.retrieval
        groups = []
        for s in range(0, len(r.wav), batch):
            out = self.model.trm1(r.wav[s : s + batch].to(self.dev), r.padding[s : s + batch].to(self.dev),
                                  keep=frozenset({"trm1.0"}), upto=0)
            groups.append(_Group([str(i) for i in range(s, s + len(out["padding"]))], out["trm1.0"],
                                 out["padding"], slice(s, s + len(out["padding"]))))
        return groups

    def _image_groups(self, batch: int) -> list[_Group]:
        r = self.sets.retrieval
        groups = []
        for s in range(0, len(r.feats), batch):
            x0 = _first_input(self.model.image_trm[0], lambda: self.model.encode_image(
                r.feats[s : s + batch].to(self.dev), r.boxes[s : s + batch].to(self.dev)))[0]
            groups.append(_Group([], x0, None, slice(s, s + len(x0))))
        return groups

    # ---------------------------------------------------------------- layers
    @staticmethod
    def _mask(pad: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
        from vgprobe.fastvgs.trm1 import additive_key_mask

        if pad is None:
            return None
        return additive_key_mask(torch.cat([pad.new_zeros(pad.shape[0], 1), pad], dim=1), dtype)

    def _trm1(self, x: torch.Tensor, pad: torch.Tensor | None, first: int, last: int) -> torch.Tensor:
        """Trm1 layers first..last (1-based, inclusive) as ``_Trm1Stack`` runs them."""
        mask = self._mask(pad, x.dtype)
        for layer in self.model.trm1.encoder.layers[first - 1 : last]:
            x = layer(x, attention_mask=mask)
            if isinstance(x, tuple):
                x = x[0]
        return x

    def _top(self, last: torch.Tensor, pad: torch.Tensor | None) -> dict[str, torch.Tensor]:
        frame_pad = pad if pad is not None else torch.zeros(last.shape[0], last.shape[1] - 1, dtype=torch.bool,
                                                            device=last.device)
        return self.model._audio_top(last, frame_pad)

    def _trm2(self, seq: torch.Tensor, mask: torch.Tensor, first: int) -> torch.Tensor:
        for layer in list(self.model.trm2)[first - 1 :]:
            seq = layer(seq, mask)[0]
        return seq

    def _image(self, x: torch.Tensor, first: int) -> torch.Tensor:
        for layer in list(self.model.image_trm)[first - 1 :]:
            x = layer(x, None)[0]
        return x

    # ---------------------------------------------------------------- cache movement
    def _needs_trm1(self, k: int) -> list[tuple[str, list[_Group]]]:
        kinds = []
        if self.abx_k is not None and k <= self.abx_k:
            kinds.append(("phonetic", self.phon))
        if self.sem_layer is not None and (self.sem_layer == "trm2.1" or k <= int(self.sem_layer.split(".")[1])):
            kinds.append(("semantic", self.sem))
        kinds.append(("retrieval", self.ret))
        return kinds

    def _trm2_groups(self) -> list[_Group]:
        return (self.sem if self.sem_layer == "trm2.1" else []) + self.ret

    @torch.no_grad()
    def seek(self, stack: str, k: int) -> None:
        """Advance the cached inputs (unablated) to layer k of ``stack`` (stacks in the order trm1, trm2, image)."""
        if stack == "trm1":
            if k < self.k1 or self.k2 is not None:
                raise RuntimeError(f"cannot go back to trm1.{k} (cache at trm1.{self.k1})")
            for _, groups in self._needs_trm1(self.k1):
                for g in groups:
                    g.x = self._trm1(g.x, g.pad, self.k1, k - 1)
            self.k1 = k
        elif stack == "trm2":
            if self.k2 is None:
                self.seek("trm1", self.n1 + 1)
                for g in self._trm2_groups():
                    g.top_in = _first_input(self.model.trm2[0], lambda g=g: self._top(g.x, g.pad))
                self.k2 = 1
            if k < self.k2:
                raise RuntimeError(f"cannot go back to trm2.{k} (cache at trm2.{self.k2})")
            for g in self._trm2_groups():
                seq, mask = g.top_in
                for layer in list(self.model.trm2)[self.k2 - 1 : k - 1]:
                    seq = layer(seq, mask)[0]
                g.top_in = (seq, mask)
            self.k2 = k
        elif stack == "image":
            if self.ki is None:
                raise ConfigError("image-encoder heads change only retrieval: the sets have no retrieval set")
            if k < self.ki:
                raise RuntimeError(f"cannot go back to image.{k} (cache at image.{self.ki})")
            for g in self.img:
                for layer in list(self.model.image_trm)[self.ki - 1 : k - 1]:
                    g.x = layer(g.x, None)[0]
            self.ki = k
        else:
            raise ConfigError(f"unknown stack {stack!r}")

    # ---------------------------------------------------------------- ablations
    def _chunks(self, n_ab: int, g: _Group, heads: int) -> list[range]:
        n, t, d = g.x.shape
        per_row = t * max(d, heads * t, self.model.cfg.trm1_ffn, self.model.cfg.bert_ffn)
        step = max(1, self.budget // max(1, n * per_row))
        return [range(s, min(s + step, n_ab)) for s in range(0, n_ab, step)]

    def _masks(self, abls: list[Ablation], n: int) -> dict[tuple[str, int], torch.Tensor]:
        keys = sorted({(s, k) for ab in abls for s, k, _ in ab})
        masks = {}
        for key in keys:
            h = mask_target(self.model, *key)[2]
            keep = torch.ones(len(abls), h, device=self.dev)
            for i, ab in enumerate(abls):
                for s, k, head in ab:
                    if (s, k) == key:
                        keep[i, head] = 0.0
            masks[key] = keep.repeat_interleave(n, dim=0)
        return masks

    @torch.no_grad()
    def run(self, ablations: Sequence[Ablation], sink: Sink, *, first_index: int = 0) -> None:
        """Run ``ablations`` (all starting at the layer the cache is at) into ``sink``; the ablation at
        position i is reported as ``first_index + i``."""
        if not ablations:
            return
        stack, k = start_of(ablations[0])
        if any(start_of(a) != (stack, k) for a in ablations):
            raise ValueError("ablations of one run must start at the same layer")
        self.seek(stack, k)
        m = self.model
        if stack == "trm1":
            for kind, groups in self._needs_trm1(k):
                for g in groups:
                    for part in self._chunks(len(ablations), g, m.cfg.trm1_heads):
                        abls = [ablations[i] for i in part]
                        n = len(g.keys)
                        x = g.x.repeat(len(abls), 1, 1)
                        pad = None if g.pad is None else g.pad.repeat(len(abls), 1)
                        with head_mask(m, self._masks(abls, n)):
                            self._emit_trm1(kind, g, x, pad, k, [first_index + i for i in part], sink)
        elif stack == "trm2":
            for kind, groups in (("semantic", self.sem if self.sem_layer == "trm2.1" else []), ("retrieval", self.ret)):
                for g in groups:
                    seq, mask = g.top_in
                    for part in self._chunks(len(ablations), _Group(g.keys, seq, None), m.cfg.bert_heads):
                        abls = [ablations[i] for i in part]
                        n = seq.shape[0]
                        with head_mask(m, self._masks(abls, n)):
                            out = self._trm2(seq.repeat(len(abls), 1, 1), mask.repeat(len(abls), 1, 1, 1), k)
                        idx = [first_index + i for i in part]
                        if kind == "semantic":
                            valid = ~(mask[:, 0, 0, 1:] < 0)
                            self._emit_frames("semantic", g.keys, idx, out[:, 1:], valid.repeat(len(abls), 1), sink)
                        else:
                            self._emit_coarse("audio", g.rows, idx, m.trm2_proj(out[:, 0]), n, sink)
        else:
            for g in self.img:
                for part in self._chunks(len(ablations), g, m.cfg.bert_heads):
                    abls = [ablations[i] for i in part]
                    n = g.x.shape[0]
                    with head_mask(m, self._masks(abls, n)):
                        out = self._image(g.x.repeat(len(abls), 1, 1), k)
                    self._emit_coarse("image", g.rows, [first_index + i for i in part],
                                      m.visual_coarse_proj(out[:, 0]), n, sink)

    @torch.no_grad()
    def baseline_images(self, sink: Sink, index: int) -> None:
        """Coarse image embeddings of the unablated model, through the same layer loop as the ablations (nothing
        without a retrieval set)."""
        if not self.img:
            return
        if self.ki != 1:
            raise RuntimeError("the image cache has already moved past layer 1")
        for g in self.img:
            out = self._image(g.x, 1)
            self._emit_coarse("image", g.rows, [index], self.model.visual_coarse_proj(out[:, 0]), g.x.shape[0], sink)

    def _emit_trm1(self, kind, g: _Group, x, pad, k, idx, sink) -> None:
        n = len(g.keys)
        if kind == "phonetic":
            y = self._trm1(x, pad, k, self.abx_k)
            self._emit_frames("phonetic", g.keys, idx, y[:, 1:], None, sink)
            return
        if kind == "semantic" and self.sem_layer != "trm2.1":
            y = self._trm1(x, pad, k, int(self.sem_layer.split(".")[1]))
            self._emit_frames("semantic", g.keys, idx, y[:, 1:], None, sink)
            return
        top = self._top(self._trm1(x, pad, k, self.n1), pad)
        if kind == "semantic":
            self._emit_frames("semantic", g.keys, idx, top["seq"][:, 1:], ~top["conv2_pad"], sink)
        else:
            self._emit_coarse("audio", g.rows, idx, top["coarse"], n, sink)

    @staticmethod
    def _emit_frames(kind, keys, idx, frames: torch.Tensor, valid: torch.Tensor | None, sink) -> None:
        n = len(keys)
        arr = frames.float().cpu()
        val = None if valid is None else valid.cpu()
        for a, ab in enumerate(idx):
            for i, key in enumerate(keys):
                row = a * n + i
                f = arr[row] if val is None else arr[row][val[row]]
                sink.frames(ab, kind, key, f.numpy())

    @staticmethod
    def _emit_coarse(side, rows: slice, idx, coarse: torch.Tensor, n: int, sink) -> None:
        arr = coarse.float().cpu().numpy()
        for a, ab in enumerate(idx):
            sink.coarse(ab, side, rows, arr[a * n : (a + 1) * n])


def _first_input(module: torch.nn.Module, fn: Callable[[], object]) -> tuple:
    """The positional inputs of ``module``'s first call while ``fn`` runs (a forward pre-hook reads them)."""
    seen: list[tuple] = []
    handle = module.register_forward_pre_hook(lambda mod, args: seen.append(args) if not seen else None)
    try:
        fn()
    finally:
        handle.remove()
    if not seen:
        raise RuntimeError(f"{type(module).__name__} did not run")
    return seen[0]
