import pytest

from vgprobe.errors import InputError
from vgprobe.synth.phones import ARPABET, STOPS, is_pause, to_arpabet


def test_stress_marks_are_stripped_before_the_lookup():
    assert to_arpabet("'aI") == to_arpabet(",aI") == to_arpabet("aI") == "AY"


def test_pauses_are_silence_not_phones():
    assert is_pause("_:") and is_pause("_")
    assert to_arpabet("_:") is None


def test_every_mapped_phone_is_in_the_39_phone_inventory():
    from vgprobe.synth.phones import _ESPEAK_TO_ARPABET

    assert len(ARPABET) == 39
    assert set(_ESPEAK_TO_ARPABET.values()) <= set(ARPABET)
    assert STOPS <= set(ARPABET)


def test_an_unknown_mnemonic_is_an_error_naming_it():
    with pytest.raises(InputError, match="'Q9'.*no ARPAbet mapping"):
        to_arpabet("Q9", context="'some text'")
