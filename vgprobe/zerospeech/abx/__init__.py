"""ZeroSpeech 2021 / Libri-Light ABX: the phonetic discriminability of frame features, fast and exact.

With both caps off, the scores equal those of zerospeech-libriabx2 0.9.8 (the ZR2021 code path of
Libri-Light's ABX) to 1e-6, for every distance; the tests pin that on random and speech-like sets.
What is computed, step by step:

Features. Every file's frames are L2-normalised, whatever the distance, in the file's own dtype,
then rounded to float32 (Libri-Light copies them into float32 batches). A zero frame (norm 0)
becomes 1/sqrt(D) in every dimension. One column is appended to every frame: 1e-12, or -2e12 for
a zero frame, which puts a zero frame at angular distance 1 from every other frame.

Slicing. With r = 1 / frame_shift, frame i is centred at (i + 1/2) / r seconds. Libri-Light's rule,
in float64: frames [max(0, ceil(r·onset − 1/2)), min(n, floor(r·offset − 1/2))): the last frame
whose centre lies inside the token is left out. ``slicing="exact"`` (ABXpy's rule) keeps every frame
whose centre lies in [onset, offset], in exact decimal arithmetic. A token whose slice is empty (it
is shorter than about one frame) is dropped, as Libri-Light drops it; when that leaves no token or
no cell, the scorer raises :class:`.dataset.NotScorableError` with the frame shift and the share of
empty tokens. Offsets past the last frame and negative onsets are clipped and reported as
warnings; an onset after its offset is an error unless ``allow_reversed_items`` drops it.

Cells. The context of a token is (previous phone, next phone). A *unit* holds the tokens of one
(context, speaker) (context mode ``within``) or of one speaker (context mode ``any``); inside a unit
tokens are grouped by phone. Within speaker: for each unit with ≥ 2 phones, each phone a with ≥ 2
tokens and each other phone b of the unit, one cell with A = X = the a-group and B = the b-group; a
token is never its own X. Across speaker: for each phone a of such a unit, each other speaker s′
who has tokens of a in the same context (any context in ``any`` mode), and each other phone b of the
unit, one cell with A = the a-group, B = the b-group and X = s′'s a-group.

Distances between frames x and y (float32): ``cosine`` is the angle acos(clamp(x·y, −1, 1)) / π;
``euclidean`` is ‖x − y‖; ``kl`` is Σ x·log((x + ε) / (y + ε)), ε = 1e-6, with x the frame of the
token whose frames are the DTW rows (the X token against A and B; for the A–X pairs of a
within-speaker cell, the token earlier in the group); ``kl_symmetric`` is the mean of both
directions. The kl distances need non-negative features.

DTW between two tokens: moves (i−1, j), (i−1, j−1), (i, j−1), unweighted, costs accumulated in
float32; the result is the accumulated cost divided by the length of the path backtracked greedily
from the end, ties taken diagonal first, then (i, j−1), then (i−1, j). Because of that tie order,
DTW(x, y) and DTW(y, x) can differ even for a symmetric distance, so the orientation above matters.

θ and the cell error. For each X and each (A, B) pair of the cell, the triplet counts 1 when
d(A, X) < d(B, X) and ½ when they are equal (exact float32 ties, which one-hot or duplicated frames
produce); θ is the mean over triplets and the cell error is 1 − θ. Within speaker, the A = X
pairs are excluded from the count but, as in Libri-Light, d(X, X) is set to max(d(B, X)) + 1
(rounded to float32) first, so when that + 1 is lost in rounding (huge distances) its ties count.

Collapse. The mean of the cell errors over contexts (and X speakers, across speaker) for each
(speaker, a, b), then over speakers for each ordered pair (a, b), then over pairs, in float64.
:mod:`.uncertainty` adds a 95 % interval by bootstrap over speakers.

Caps. ZR2021 scores with ``max_size_group`` = 10 (at most 10 tokens of each A, B and X group per
cell) and ``max_x_across`` = 5 (at most 5 X speakers per (context, speaker, phone)); vgprobe's
default. Libri-Light draws those subsets with Python's ``random.sample`` from one RNG
(zerospeech-libriabx2 seeds it with 3459 per mode; the original Libri-Light script does not seed
it at all), in the order in which it visits cells, which follows the directory listing of the
feature files and the item order: the same features scored twice, or listed in another order,
give other draws. vgprobe draws each subset instead from a keyed hash: the tokens with the
``cap`` smallest values of splitmix64(seed, the cell's context/speaker/phone names, the role
A/B/X, the token's rank by (file, onset, offset)), and the X speakers alike. Each subset is still
uniform among those of its size, so the expected capped score is the same, but the draws differ
from Libri-Light's and so a capped score differs from Libri-Light's by sampling noise (measured in
benchmarks/abx_caps.py); in exchange it depends only on the seed, never on the file order, the
feature format or the item order. With caps off there is no draw and no difference.

Modules: item file (:mod:`vgprobe.zerospeech.items`) -> tokens (:mod:`.dataset`, :mod:`.slicing`)
-> layout and cells (:mod:`.cells`) -> compiled distances and DTW (:mod:`.distances`, :mod:`.dtw`,
:mod:`.engine`, :mod:`.pairs`, bundles in :mod:`.kernel_args`) -> collapse (:mod:`.collapse`,
:mod:`.uncertainty`) -> results (:mod:`.score`, :mod:`.submission`).
"""

from vgprobe.zerospeech.abx.dataset import NotScorableError
from vgprobe.zerospeech.abx.score import AbxResult, results_to_frame, results_to_json, score_abx

__all__ = ["AbxResult", "NotScorableError", "results_to_frame", "results_to_json", "score_abx", "score_abx_submission"]


def __getattr__(name: str):  # lazy: the submission helper reads yaml
    if name == "score_abx_submission":
        from vgprobe.zerospeech.abx.submission import score_abx_submission

        return score_abx_submission
    raise AttributeError(name)
