"""vgprobe: probe visually grounded speech models on ZeroSpeech 2021 ABX and sSIMI."""

__version__ = "0.1.0"
