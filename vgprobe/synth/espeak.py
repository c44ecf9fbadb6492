"""A small ctypes driver for libespeak-ng (the copy shipped by the PyPI package ``espeakng-loader``).

One :class:`Espeak` per process: libespeak-ng is a process-wide singleton that keeps state between
calls, so vgprobe synthesises in fresh worker processes in a fixed order (see ``worker.py``).

    >>> tts = Espeak()                                     # doctest: +SKIP
    >>> out = tts.synthesize("a red circle", voice="en-us", variant="m3", pitch=50, rate=175)
    >>> out.samples.shape, out.sample_rate                  # (n,) int16 at espeak's native 22050 Hz
    >>> out.phonemes[0]                                     # PhonemeEvent(name='@', sample=..., text_position=1)
    >>> tts.synthesize('<speak>a <prosody rate="120%">red</prosody> circle</speak>', ssml=True, voice="en-us",
    ...                variant=None, pitch=50, rate=175)      # SSML: per-word prosody, <break time="80ms"/>

Events come from the synthesis callback. ``PhonemeEvent.sample`` is the exact sample index (from the
start of the utterance) at which espeak starts the phoneme; ``text_position`` is the 1-based character
position of the word a phoneme belongs to (espeak sets it on every phoneme of the word). With SSML input
the position counts characters of the marked-up text, tags included (measured with libespeak-ng 1.52).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from vgprobe.errors import ConfigError, InputError

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_SSML = 0x10
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_EE_OK = 0

NATIVE_RATE = 22050


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class PhonemeEvent:
    name: str  # espeak phoneme mnemonic, e.g. "aI", "t", "_:" (pause)
    sample: int  # first sample of the phoneme, at NATIVE_RATE
    text_position: int  # 1-based character position of the word in the text


@dataclass(frozen=True)
class WordEvent:
    sample: int
    text_position: int
    length: int


@dataclass(frozen=True)
class Synthesis:
    samples: np.ndarray  # (n,) int16 at ``sample_rate``
    sample_rate: int
    phonemes: tuple[PhonemeEvent, ...]
    words: tuple[WordEvent, ...]


def _data_root() -> Path:
    try:
        import espeakng_loader
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "speech synthesis needs espeak-ng from the PyPI package espeakng-loader: pip install 'vgprobe[synth]'"
        ) from exc
    return Path(espeakng_loader.get_data_path())


def _library_path() -> str:
    import espeakng_loader

    return espeakng_loader.get_library_path()


@lru_cache(maxsize=1)
def known_languages() -> frozenset[str]:
    """Language voice names (files in ``espeak-ng-data/lang``), lower case: ``en-us``, ``en-gb-scotland``..."""
    folder = _data_root() / "lang"
    return frozenset(p.name.lower() for p in folder.rglob("*") if p.is_file())


@lru_cache(maxsize=1)
def available_variants() -> tuple[str, ...]:
    """Names of espeak's voice variants (files in ``espeak-ng-data/voices/!v``), sorted."""
    folder = _data_root() / "voices" / "!v"
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_file()))


class Espeak:
    """The libespeak-ng singleton of this process, in synchronous mode with phoneme events."""

    _instance_made = False

    def __init__(self) -> None:
        if Espeak._instance_made:
            raise RuntimeError("libespeak-ng is a process-wide singleton: make one Espeak per process")
        data = _data_root()
        self._lib = ctypes.CDLL(_library_path())
        lib = self._lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data.parent).encode(), _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT
        )
        if rate != NATIVE_RATE:
            raise ConfigError(f"libespeak-ng failed to initialise from {data} (returned {rate})")
        Espeak._instance_made = True
        self._chunks: list[np.ndarray] = []
        self._phonemes: list[PhonemeEvent] = []
        self._words: list[WordEvent] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: ctypes does not
        lib.espeak_SetSynthCallback(self._callback)
        self._languages = self._list_languages()

    def _list_languages(self) -> frozenset[str]:
        voices = self._lib.espeak_ListVoices(None)
        names: set[str] = set()
        i = 0
        while voices[i]:
            v = voices[i].contents
            names.add(v.identifier.decode().rsplit("/", 1)[-1].lower())
            # ``languages`` is a sequence of (priority byte, name, NUL); the first name is the main one
            raw = ctypes.string_at(v.languages)
            names.add(raw[1:].decode(errors="replace").lower())
            i += 1
        return frozenset(names)

    @property
    def languages(self) -> frozenset[str]:
        """Voice (language) names that :meth:`synthesize` accepts, lower case (``en-us``, ``en-gb-scotland``)."""
        return self._languages

    def _on_audio(self, wav, n: int, events) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            e = events[i]
            if e.type == _EVENT_PHONEME:
                raw = bytes(e.id.string).split(b"\0", 1)[0]
                self._phonemes.append(PhonemeEvent(raw.decode(), int(e.sample), int(e.text_position)))
            elif e.type == _EVENT_WORD:
                self._words.append(WordEvent(int(e.sample), int(e.text_position), int(e.length)))
            i += 1
        return 0

    def set_voice(self, *, voice: str, variant: str | None, pitch: int, rate: int, pitch_range: int = 50) -> None:
        """Choose the voice first (that resets rate and pitch), then set them."""
        if voice.lower() not in self._languages:
            raise ConfigError(f"unknown espeak voice {voice!r}; expected one of {sorted(self._languages)}")
        if variant is not None and variant not in available_variants():
            raise ConfigError(f"unknown espeak variant {variant!r}; expected one of {list(available_variants())}")
        name = voice if variant is None else f"{voice}+{variant}"
        if self._lib.espeak_SetVoiceByName(name.encode()) != _EE_OK:
            raise ConfigError(f"espeak refused voice {name!r}")
        for param, value in ((_PARAM_RATE, rate), (_PARAM_PITCH, pitch), (_PARAM_RANGE, pitch_range)):
            if self._lib.espeak_SetParameter(param, int(value), 0) != _EE_OK:
                raise ConfigError(f"espeak refused parameter {param}={value}")

    def synthesize(self, text: str, *, ssml: bool = False, **voice) -> Synthesis:
        """Speak ``text`` (SSML markup when ``ssml``) with ``voice`` (keywords of :meth:`set_voice`)."""
        if not text.strip():
            raise InputError("cannot synthesise empty text")
        self.set_voice(**voice)
        self._chunks, self._phonemes, self._words = [], [], []
        data = text.encode("utf-8") + b"\0"
        buf = ctypes.create_string_buffer(data)
        flags = _CHARS_UTF8 | (_SSML if ssml else 0)
        err = self._lib.espeak_Synth(buf, len(data), 0, _POS_CHARACTER, 0, flags, None, None)
        if err != _EE_OK:
            raise InputError(f"espeak failed on text {text!r} (error {err})")
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return Synthesis(samples.astype(np.int16), NATIVE_RATE, tuple(self._phonemes), tuple(self._words))
