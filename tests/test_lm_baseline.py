"""The unit-bigram baseline: it prefers sequences that follow the training audio's unit transitions."""

import numpy as np
import pytest

from vgprobe.errors import ConfigError, InputError
from vgprobe.zerospeech.lm.baseline import BASELINE_LABEL, UnitLMConfig, fit_unit_lm, write_baseline_submission
from vgprobe.zerospeech.lm.lexical import score_lexical_submission
from vgprobe.zerospeech.lm.syntactic import score_syntactic_submission

CENTRES = np.eye(4) * 10.0  # four well separated "phones" in 4-D


def frames(units, rng, repeat=3):
    return np.concatenate([CENTRES[u] + 0.1 * rng.normal(size=(repeat, 4)) for u in units]).astype(np.float32)


def write(folder, name, arr):
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / f"{name}.npy", arr)


@pytest.fixture
def world(tmp_path):
    """Training audio cycles 0 -> 1 -> 2 -> 3 -> 0; words follow the cycle, non-words run it backwards."""
    rng = np.random.default_rng(0)
    for k in range(6):
        write(tmp_path / "train", f"t{k}", frames([(k + i) % 4 for i in range(12)], rng))
    lex = ["id,filename,voice,frequency,word,phones,length,correct"]
    syn = ["id,filename,voice,type,subtype,correct,transcription"]
    for k in range(5):
        fwd, bwd = [(k + i) % 4 for i in range(5)], [(k - i) % 4 for i in range(5)]
        write(tmp_path / "lex", f"w{k}", frames(fwd, rng))
        write(tmp_path / "lex", f"n{k}", frames(bwd, rng))
        lex += [f"{k},w{k},A,3,word{k},a b,5,1", f"{k},n{k},A,,,b a,5,0"]
        write(tmp_path / "syn", f"g{k}", frames(fwd * 2, rng))
        write(tmp_path / "syn", f"b{k}", frames(bwd * 2, rng))
        syn += [f"{k},g{k},A,order,cycle,1,x", f"{k},b{k},A,order,cycle,0,y"]
    for task, lines in (("lexical", lex), ("syntactic", syn)):
        (tmp_path / "zr" / task / "dev").mkdir(parents=True)
        (tmp_path / "zr" / task / "dev" / "gold.csv").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_the_baseline_scores_words_above_reversed_non_words(world):
    lex, syn = write_baseline_submission(world / "zr", train_features=[world / "train"], lexical_features=world / "lex",
                                         syntactic_features=world / "syn", out=world / "sub",
                                         config=UnitLMConfig(n_units=4, seed=0))
    assert lex == world / "sub" / "lexical" / "dev.txt" and syn.is_file()
    assert score_lexical_submission(world / "sub", world / "zr", "dev").results[0].score == 1.0
    assert score_syntactic_submission(world / "sub", world / "zr", "dev").results[0].score == 1.0
    assert "Not a ZeroSpeech reference system" in BASELINE_LABEL


def test_scores_are_mean_log_probabilities_per_frame(world):
    lm = fit_unit_lm(sorted((world / "train").glob("*.npy")), config=UnitLMConfig(n_units=4, seed=0))
    np.testing.assert_allclose(np.exp(lm.log_transition).sum(axis=1), 1.0)
    x = np.load(world / "lex" / "w0.npy")
    u = lm.units(x)
    expected = (lm.log_start[u[0]] + sum(lm.log_transition[a, b] for a, b in zip(u[:-1], u[1:]))) / len(u)
    assert lm.score(x) == pytest.approx(expected, rel=1e-12)


def test_bad_settings_and_missing_features_are_refused(world):
    with pytest.raises(ConfigError, match="n_units >= 2"):
        fit_unit_lm(sorted((world / "train").glob("*.npy")), config=UnitLMConfig(n_units=1))
    (world / "lex" / "w3.npy").unlink()
    with pytest.raises(InputError, match=r"lex: no feature file for 'w3'"):
        write_baseline_submission(world / "zr", train_features=[world / "train"], lexical_features=world / "lex",
                                  syntactic_features=world / "syn", out=world / "sub", config=UnitLMConfig(n_units=4))
    assert not (world / "sub" / "lexical" / "dev.txt").exists()
