"""Cross-modal retrieval with one-to-many captions: coarse, fine and coarse-to-fine, as the FaST-VGS authors evaluate.

Captions are the rows, distinct images the columns; ``audio_image[a]`` is the column of caption a's image.

- speech -> image: each caption queries the images; a hit at k if its image is among the top k.
- image -> speech: each image queries the captions; a hit at k if ANY of its captions is among the top k.

Modes: ``coarse`` (dot products of the coarse embeddings), ``fine`` (the cross encoder on every pair)
and ``ctf`` (coarse top K_c per query, re-ranked by the fine score; a target outside the top K_c is a miss).

Score matrices are never held whole: rows are scored in blocks and only running top-k lists are kept,
so memory is O(block × n_image + k × (n_audio + n_image)) whatever the database size.

Example::

    r = retrieve(model, audio, image, audio_image, modes=("coarse", "ctf"), kc=100)
    r["ctf.speech_to_image.R@1"], r["coarse.image_to_speech.R@100"], r["ctf.seconds_per_query"]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from vgprobe.errors import ConfigError, InputError

MODES = ("coarse", "fine", "ctf")
DIRECTIONS = ("speech_to_image", "image_to_speech")
COARSE_EXTRA_K = 100  # the authors also report coarse R@100

BlockScorer = Callable[[torch.Tensor], torch.Tensor]  # caption rows (r,) -> (r, n_image) scores
PairScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (P,), (P,) -> (P,) scores


@dataclass(frozen=True)
class TopLists:
    """Ranked retrieval lists, best first: ``speech_to_image`` (n_audio, k) image columns,
    ``image_to_speech`` (n_image, k) caption rows. A direction not computed is None."""

    speech_to_image: torch.Tensor | None
    image_to_speech: torch.Tensor | None


def streaming_topk(
    block_scores: BlockScorer,
    *,
    n_audio: int,
    n_image: int,
    k: int,
    directions: Sequence[str] = DIRECTIONS,
    rows_per_block: int = 1024,
) -> TopLists:
    """Top-k lists of both directions of an (n_audio, n_image) score matrix produced block by block.

    ``block_scores(rows)`` returns the scores of the caption ``rows`` against every image.
    """
    rows_out, col_vals, col_idx = [], None, None
    for r0 in range(0, n_audio, rows_per_block):
        rows = torch.arange(r0, min(r0 + rows_per_block, n_audio))
        s = block_scores(rows)
        if s.shape != (len(rows), n_image):
            raise InputError(f"block scorer returned shape {tuple(s.shape)}, expected {(len(rows), n_image)}")
        s = s.detach().float().cpu()
        if "speech_to_image" in directions:
            rows_out.append(s.topk(min(k, n_image), dim=1).indices)
        if "image_to_speech" in directions:
            v, i = s.topk(min(k, len(rows)), dim=0)
            i = i + r0
            if col_vals is not None:
                v, i = torch.cat([col_vals, v]), torch.cat([col_idx, i])
                v, order = v.topk(min(k, v.shape[0]), dim=0)
                i = i.gather(0, order)
            col_vals, col_idx = v, i
    s2i = torch.cat(rows_out) if rows_out else None
    i2s = col_idx.T.contiguous() if col_idx is not None else None
    return TopLists(s2i, i2s)


def rerank(
    candidates: TopLists,
    pair_scores: PairScoreFn,
    *,
    k: int,
) -> TopLists:
    """Re-rank each query's candidate list by ``pair_scores`` and keep the best k (coarse-to-fine)."""

    def one(cand: torch.Tensor | None, query_is_audio: bool) -> torch.Tensor | None:
        if cand is None:
            return None
        n, kc = cand.shape
        queries = torch.arange(n).repeat_interleave(kc)
        flat = cand.reshape(-1)
        a, v = (queries, flat) if query_is_audio else (flat, queries)
        s = pair_scores(a, v).detach().float().cpu().view(n, kc)
        order = s.topk(min(k, kc), dim=1).indices
        return cand.gather(1, order)

    return TopLists(one(candidates.speech_to_image, True), one(candidates.image_to_speech, False))


def recalls(
    lists: TopLists,
    audio_image: torch.Tensor,
    *,
    ks: Sequence[int],
    prefix: str,
) -> dict[str, float]:
    """``{f"{prefix}.{direction}.R@{k}": fraction of queries with a hit in their top k}``."""
    out: dict[str, float] = {}
    if lists.speech_to_image is not None:
        hit = lists.speech_to_image == audio_image[:, None]  # (n_audio, k)
        for k in ks:
            out[f"{prefix}.speech_to_image.R@{k}"] = int(hit[:, :k].any(1).sum()) / hit.shape[0]
    if lists.image_to_speech is not None:
        hit = audio_image[lists.image_to_speech] == torch.arange(lists.image_to_speech.shape[0])[:, None]
        for k in ks:
            out[f"{prefix}.image_to_speech.R@{k}"] = int(hit[:, :k].any(1).sum()) / hit.shape[0]
    return out


def check_audio_image(audio_image: torch.Tensor, n_image: int) -> None:
    """Every caption points at an image, and every image has at least one caption."""
    if audio_image.ndim != 1 or audio_image.dtype != torch.long:
        raise InputError(f"audio_image must be a 1-D long tensor, got {audio_image.dtype} {tuple(audio_image.shape)}")
    if len(audio_image) and (int(audio_image.min()) < 0 or int(audio_image.max()) >= n_image):
        raise InputError(f"audio_image holds image indices outside [0, {n_image})")
    without = torch.ones(n_image, dtype=torch.bool)
    without[audio_image] = False
    if bool(without.any()):
        raise InputError(f"{int(without.sum())} images have no caption (e.g. index {int(without.nonzero()[0])})")


def retrieve_scores(
    *,
    coarse_block: BlockScorer,
    fine_block: BlockScorer,
    pair_scores: PairScoreFn,
    audio_image: torch.Tensor,
    n_image: int,
    modes: Sequence[str] = MODES,
    kc: int = 100,
    ks: Sequence[int] = (1, 5, 10),
    directions: Sequence[str] = DIRECTIONS,
    rows_per_block: int = 1024,
    fine_rows_per_block: int = 16,
) -> dict[str, float]:
    """Recall table of the requested modes from score functions (see :func:`retrieve` for the model).

    Keys: ``{mode}.{direction}.R@{k}`` (coarse also R@100), ``{mode}.seconds_per_query`` (scoring and
    ranking time over all queries of the computed directions; encoding excluded) and, for ctf,
    ``ctf.coarse_seconds_per_query`` (its coarse stage).
    """
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise ConfigError(f"unknown retrieval modes {bad}; choose from {list(MODES)}")
    bad = [d for d in directions if d not in DIRECTIONS]
    if bad or not directions:
        raise ConfigError(f"directions must be a non-empty subset of {list(DIRECTIONS)}, got {list(directions)}")
    if kc < 1:
        raise ConfigError(f"kc must be at least 1, got {kc}")
    check_audio_image(audio_image, n_image)
    n_audio = len(audio_image)
    n_queries = n_audio * ("speech_to_image" in directions) + n_image * ("image_to_speech" in directions)
    kmax = max(ks)
    out: dict[str, float] = {"n_audio": n_audio, "n_image": n_image}
    for mode in modes:
        t0 = time.perf_counter()
        if mode == "coarse":
            ck = sorted(set(ks) | {COARSE_EXTRA_K})
            lists = streaming_topk(coarse_block, n_audio=n_audio, n_image=n_image, k=max(ck),
                                   directions=directions, rows_per_block=rows_per_block)
            out.update(recalls(lists, audio_image, ks=ck, prefix=mode))
        elif mode == "fine":
            lists = streaming_topk(fine_block, n_audio=n_audio, n_image=n_image, k=kmax,
                                   directions=directions, rows_per_block=fine_rows_per_block)
            out.update(recalls(lists, audio_image, ks=ks, prefix=mode))
        else:
            cand = streaming_topk(coarse_block, n_audio=n_audio, n_image=n_image, k=kc,
                                  directions=directions, rows_per_block=rows_per_block)
            t_coarse = time.perf_counter() - t0
            lists = rerank(cand, pair_scores, k=kmax)
            out.update(recalls(lists, audio_image, ks=ks, prefix=mode))
            out["ctf.coarse_seconds_per_query"] = t_coarse / n_queries
            out["kc"] = kc
        out[f"{mode}.seconds_per_query"] = (time.perf_counter() - t0) / n_queries
    return out


@torch.no_grad()
def retrieve(
    model,
    audio,
    image,
    audio_image: torch.Tensor,
    *,
    modes: Sequence[str] = MODES,
    kc: int = 100,
    ks: Sequence[int] = (1, 5, 10),
    directions: Sequence[str] = DIRECTIONS,
    pairs_per_chunk: int = 256,
    rows_per_block: int = 1024,
) -> dict[str, float]:
    """Recall table for encoded captions ``audio`` (:class:`AudioEncoding`, n_audio) and distinct images
    ``image`` (:class:`ImageEncoding`, n_image); ``audio_image`` (n_audio,) long = each caption's image.

    The fine mode scores every pair in blocks of captions (``pairs_per_chunk`` pairs per cross-encoder
    call); ctf scores K_c pairs per query.
    """
    if len(audio) != len(audio_image):
        raise InputError(f"{len(audio)} encoded captions but audio_image has {len(audio_image)} entries")
    was_training = model.training
    model.eval()
    fine_rows = max(1, pairs_per_chunk // max(1, len(image)))
    try:
        scorer = model.pair_scorer(audio, image) if {"fine", "ctf"} & set(modes) else None
        return retrieve_scores(
            coarse_block=lambda rows: audio.coarse[rows.to(audio.coarse.device)] @ image.coarse.T,
            fine_block=lambda rows: scorer.all_pairs(rows, pairs_per_chunk=pairs_per_chunk),
            pair_scores=lambda a, v: scorer(a.to(audio.seq.device), v.to(image.seq.device),
                                            pairs_per_chunk=pairs_per_chunk),
            audio_image=audio_image.cpu(),
            n_image=len(image),
            modes=modes,
            kc=kc,
            ks=ks,
            directions=directions,
            rows_per_block=rows_per_block,
            fine_rows_per_block=fine_rows,
        )
    finally:
        model.train(was_training)
