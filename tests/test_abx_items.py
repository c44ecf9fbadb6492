"""Item files: parsed in order, bad lines named by file:line."""

import numpy as np
import pytest

from vgprobe.errors import InputError
from vgprobe.zerospeech.items import ItemWarning, read_item_file

HEADER = "#file onset offset #phone prev-phone next-phone speaker\n"


def write(tmp_path, body: str):
    path = tmp_path / "dev-clean.item"
    path.write_text(HEADER + body)
    return path


def test_tokens_come_back_in_file_order_with_times_and_text(tmp_path):
    items = read_item_file(write(tmp_path, "a 0.2925 0.4725 IH L NG 6295\nb 0.01 0.05 K NG AH 84\n"))
    assert len(items) == 2
    assert items.file == ("a", "b")
    np.testing.assert_array_equal(items.onset, [0.2925, 0.01])
    assert items.offset_text == ("0.4725", "0.05")
    assert items.context == ("L+NG", "NG+AH")
    assert items.speaker == ("6295", "84")
    assert items.line.tolist() == [2, 3]


def test_blank_lines_are_not_tokens(tmp_path):
    items = read_item_file(write(tmp_path, "a 0.1 0.2 IH L NG s\n\n   \nb 0.1 0.2 IH L NG s\n"))
    assert items.line.tolist() == [2, 5]


def test_wrong_column_count_names_file_and_line(tmp_path):
    path = write(tmp_path, "a 0.1 0.2 IH L NG s\na 0.1 0.2 IH L NG\n")
    with pytest.raises(InputError, match=r"dev-clean.item:3: expected 7 columns"):
        read_item_file(path)


@pytest.mark.parametrize("bad", ["zero", "nan", "inf"])
def test_non_numeric_or_non_finite_time_names_file_and_line(tmp_path, bad):
    path = write(tmp_path, f"a {bad} 0.2 IH L NG s\n")
    with pytest.raises(InputError, match=r"dev-clean.item:2: onset"):
        read_item_file(path)


def test_missing_header_is_an_error_not_a_dropped_token(tmp_path):
    path = tmp_path / "x.item"
    path.write_text("a 0.1 0.2 IH L NG s\n")
    with pytest.raises(InputError, match=r"x.item:1: expected the header"):
        read_item_file(path)


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_item_file(tmp_path / "nope.item")
    with pytest.raises(InputError, match="no items"):
        read_item_file(write(tmp_path, ""))


def test_an_onset_after_its_offset_is_an_error_naming_file_and_line(tmp_path):
    path = write(tmp_path, "a 0.1 0.2 IH L NG s\na 0.3 0.2 IH L NG s\n")
    with pytest.raises(InputError, match=r"dev-clean.item:3: onset 0.3 is after offset 0.2.*--allow-reversed-items"):
        read_item_file(path)


def test_reversed_items_allowed_are_dropped_with_one_counted_warning(tmp_path):
    body = "a 0.1 0.2 IH L NG s\n" + "".join(f"a 0.{k + 3} 0.2 IH L NG s\n" for k in range(7))
    with pytest.warns(ItemWarning, match=r"^7 item line\(s\) have the onset after the offset and were dropped"
                      r".*dev-clean.item:3, .*dev-clean.item:7, \.\.\.$") as caught:
        items = read_item_file(write(tmp_path, body), allow_reversed=True)
    assert len([w for w in caught if issubclass(w.category, ItemWarning)]) == 1
    assert items.line.tolist() == [2]


def test_a_negative_onset_is_kept_and_reported(tmp_path):
    with pytest.warns(ItemWarning, match=r"^1 item line\(s\) have a negative onset, clipped .*dev-clean.item:3$"):
        items = read_item_file(write(tmp_path, "a 0.1 0.2 IH L NG s\na -0.01 0.2 IH L NG s\n"))
    assert items.onset.tolist() == [0.1, -0.01]


def test_a_clean_item_file_warns_nothing(tmp_path, recwarn):
    read_item_file(write(tmp_path, "a 0.1 0.2 IH L NG s\na 0.2 0.2 IH L NG s\n"))  # onset == offset: empty, fine
    assert not [w for w in recwarn if issubclass(w.category, ItemWarning)]
