"""All probes of one layer folder (vgprobe.analysis.probes.layer) on a tiny ZR2021-like set written here.

Phones: 4 phones x 4 speakers x 3 files x 12 tokens per subset; each token is 5 frames (0.1 s at a
20 ms shift) of its phone's centre plus a speaker offset and noise, so phones are linearly
decodable across speakers. Words: sSIMI-style whole files, 5 words, 4 voices (synthetic) and 4
unvoiced LibriSpeech tokens each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from vgprobe.analysis.probes import COLUMNS, ProbeConfig, probe_layer, probe_tokens
from vgprobe.analysis.probes.tokens import semantic_word_tokens
from vgprobe.errors import ConfigError, InputError

PHONES = ("AA", "B", "K", "S")
WORDS = ("cat", "dog", "sun", "map", "pen")
DIM = 6
CONFIG = ProbeConfig(mi_clusters=4, mi_batch_size=64)


def write_set(root, layer, rng):
    (layer / "meta.yaml").parent.mkdir(parents=True)
    (layer / "meta.yaml").write_text(yaml.safe_dump({"parameters": {"phonetic": {"frame_shift": 0.02}}}))
    centres = rng.normal(scale=3.0, size=(len(PHONES), DIM))
    for subset in ("dev-clean", "dev-other"):
        lines = ["#file onset offset #phone prev-phone next-phone speaker"]
        (root / "phonetic" / subset).mkdir(parents=True)
        feats = layer / "phonetic" / subset
        feats.mkdir(parents=True)
        for spk in range(4):
            offset = rng.normal(size=DIM)
            for utt in range(3):
                stem = f"{spk + 1}00-1-{utt:04d}"
                phones = rng.integers(len(PHONES), size=12)
                frames = np.concatenate([np.repeat(centres[p][None] + offset, 5, axis=0) for p in phones])
                np.save(feats / f"{stem}.npy", (frames + rng.normal(size=frames.shape)).astype(np.float32))
                for i, p in enumerate(phones):
                    lines.append(f"{stem} {0.1 * i:.4f} {0.1 * (i + 1):.4f} {PHONES[p]} SIL SIL {spk + 1}00")
        (root / "phonetic" / subset / f"{subset}.phoneme.item").write_text("\n".join(lines) + "\n")
    sem = layer / "semantic" / "dev"
    gold = ["type,filename,word,voice"]
    word_centres = rng.normal(scale=3.0, size=(len(WORDS), DIM))
    for type_ in ("synthetic", "librispeech"):
        (sem / type_).mkdir(parents=True)
        for w, word in enumerate(WORDS):
            for v in range(4):
                name = f"{type_[0]}{w}{v}"
                frames = word_centres[w] + rng.normal(size=(8 + v, DIM))
                np.save(sem / type_ / f"{name}.npy", frames.astype(np.float32))
                gold.append(f"{type_},{name},{word},{f'voice{v}' if type_ == 'synthetic' else ''}")
    (root / "semantic" / "dev").mkdir(parents=True)
    (root / "semantic" / "dev" / "gold.csv").write_text("\n".join(gold) + "\n")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    base = tmp_path_factory.mktemp("probes")
    root, layer = base / "zr", base / "feats" / "trm1.3"
    write_set(root, layer, np.random.default_rng(0))
    return root, layer


@pytest.fixture(scope="module")
def table(dataset):
    root, layer = dataset
    return probe_layer(layer, root, split="dev", config=CONFIG)


def test_one_tidy_row_per_subset_probe_and_metric(table):
    assert list(table.columns) == list(COLUMNS)
    assert set(table["layer"]) == {"trm1.3"}
    combos = set(zip(table["target"], table["subset"]))
    assert combos == {("phone", "dev-clean"), ("phone", "dev-other"), ("word", "synthetic"), ("word", "librispeech")}
    for _, part in table.groupby(["target", "subset"]):
        assert sorted(zip(part["probe"], part["metric"])) == [
            ("kmeans_mi", "normalised_mi"), ("linear", "accuracy"), ("linear", "f1_macro"), ("pwcca", "pwcca"),
        ]
    assert table["score"].between(0, 1).all()


def test_token_and_group_counts(table):
    phones = table[table["target"] == "phone"]
    assert (phones["n_tokens"] == 144).all() and (phones["n_groups"] == 4).all() and (phones["n_labels"] == 4).all()
    words = table[table["target"] == "word"].set_index("subset")
    assert words.loc["synthetic", "n_groups"].eq(4).all()
    assert words.loc["librispeech", "n_groups"].eq(20).all()  # no voice: every token is its own group
    linear = table[table["probe"] == "linear"]
    assert (linear["n_folds"] == linear["n_groups"].clip(upper=5)).all()  # one fold per speaker, at most 5


def test_decodable_phones_score_well_above_the_majority_baseline(table):
    acc = table[(table["target"] == "phone") & (table["metric"] == "accuracy")]
    assert (acc["score"] > 0.9).all()
    assert (acc["score"] > acc["baseline"] + 0.5).all()
    assert table[table["probe"] == "pwcca"]["baseline"].isna().all()


def test_the_same_layer_twice_gives_the_same_table(dataset, table):
    root, layer = dataset
    again = probe_layer(layer, root, split="dev", config=CONFIG)
    pd.testing.assert_frame_equal(again, table)


def test_targets_and_probes_can_be_chosen(dataset):
    root, layer = dataset
    df = probe_layer(layer, root, targets=("phone",), config=ProbeConfig(probes=("pwcca",)))
    assert set(df["probe"]) == {"pwcca"} and set(df["target"]) == {"phone"} and len(df) == 2


def test_rare_labels_are_dropped_before_probing(dataset):
    root, layer = dataset
    gold = root / "semantic" / "dev" / "gold.csv"
    tokens = semantic_word_tokens(layer / "semantic" / "dev", gold, types=("synthetic",))
    drop_cat = tokens.select(~((tokens.labels == "cat") & (tokens.groups != "voice0")))  # 'cat' keeps 1 token
    rows = probe_tokens(drop_cat, target="word", config=ProbeConfig(probes=("linear",), min_label_count=2))
    assert {r["n_tokens"] for r in rows} == {16} and {r["n_labels"] for r in rows} == {4}
    with pytest.raises(InputError, match="fewer than 2 word labels with at least 5 tokens"):
        probe_tokens(tokens, target="word", config=ProbeConfig(probes=("linear",), min_label_count=5))


def test_missing_frame_shift_and_item_files_are_clear_errors(dataset, tmp_path):
    root, layer = dataset
    bare = tmp_path / "bare"
    (bare / "phonetic").mkdir(parents=True)
    with pytest.raises(InputError, match="frame_shift"):
        probe_layer(bare, root, targets=("phone",), config=CONFIG)
    with pytest.raises(InputError, match="no triphone item file for dev-clean"):
        probe_layer(layer, root, targets=("phone",), item_kind="triphone", config=CONFIG)
    with pytest.raises(ConfigError, match="unknown targets"):
        probe_layer(layer, root, targets=("syllable",), config=CONFIG)
    with pytest.raises(ConfigError, match="unknown probes"):
        ProbeConfig(probes=("svm",))


def test_word_alignments_replace_the_semantic_tokens(dataset, tmp_path):
    # Alignments whose "words" are exactly the phone spans of dev-clean give the phone scores.
    import json

    from vgprobe.zerospeech.items import read_item_file

    root, layer = dataset
    items = read_item_file(root / "phonetic" / "dev-clean" / "dev-clean.phoneme.item")
    words: dict[str, list] = {}
    for f, on, off, ph in zip(items.file, items.onset, items.offset, items.phone):
        words.setdefault(f, []).append([float(on), float(off), ph.lower()])
    path = tmp_path / "words.json"
    path.write_text(json.dumps(words))
    config = ProbeConfig(probes=("pwcca", "linear"))
    df = probe_layer(layer, root, word_alignments={"dev-clean": path}, config=config)
    phone = df[(df["target"] == "phone") & (df["subset"] == "dev-clean")].set_index("metric")
    word = df[df["target"] == "word"].set_index("metric")
    assert list(word.index) == ["pwcca", "accuracy", "f1_macro"] and set(word["subset"]) == {"dev-clean"}
    np.testing.assert_allclose(word["score"], phone.loc[word.index, "score"], atol=1e-12)
