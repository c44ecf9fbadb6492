"""Feature extraction: named layers of any supported model -> ZeroSpeech 2021 submission folders."""

from vgprobe.extract.run import ExtractConfig, ExtractResult, extract
from vgprobe.extract.record import read_last_run

__all__ = ["ExtractConfig", "ExtractResult", "extract", "read_last_run"]
