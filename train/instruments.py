"""The General MIDI instruments Heist can render training data for.

Each entry: GM program (0-based, as in a MIDI program change), the playing
range used for the random performances (MIDI notes, a comfortable range a
little inside the instrument's full compass so FluidR3's samples sound
idiomatic), and articulation hints that shape the performance generator in
data.py:

    vibrato   scale of the phrase vibrato depth (0 = none: clarinet, choir
              pads keep a little, harmonica and clarinet have almost none)
    legato    probability that a phrase is played legato
    max_note  longest note, seconds (winds: breath)
    phrase    longest phrase, seconds (winds and voices breathe more often)

`violin` keeps the values the shipped model was trained with (range 50..100,
vibrato 1, legato 0.55, notes up to 3 s, phrases up to 9 s), so
train/make_violin.sh renders the same data as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict


@dataclass(frozen=True)
class Instrument:
    name: str
    program: int  # GM program number, 0-based
    lo: int  # lowest MIDI note
    hi: int  # highest MIDI note
    vibrato: float = 1.0
    legato: float = 0.55
    max_note: float = 3.0
    phrase: float = 9.0
    family: str = ""


_TABLE = [
    #          name            prog  lo   hi  vib   legato max_note phrase family
    Instrument("violin",        40,  50, 100, 1.0,  0.55,  3.0,     9.0, "strings"),
    Instrument("cello",         42,  36,  76, 1.0,  0.55,  3.0,     9.0, "strings"),
    Instrument("flute",         73,  60,  96, 0.7,  0.6,   2.5,     6.0, "woodwind"),
    Instrument("clarinet",      71,  50,  89, 0.15, 0.6,   2.5,     6.0, "woodwind"),
    Instrument("oboe",          68,  58,  89, 0.6,  0.6,   2.5,     6.0, "woodwind"),
    Instrument("bassoon",       70,  34,  72, 0.5,  0.55,  2.5,     6.0, "woodwind"),
    Instrument("trumpet",       56,  54,  84, 0.4,  0.45,  2.0,     5.0, "brass"),
    Instrument("trombone",      57,  40,  72, 0.4,  0.5,   2.0,     5.0, "brass"),
    Instrument("tuba",          58,  28,  58, 0.3,  0.5,   2.0,     5.0, "brass"),
    Instrument("french horn",   60,  41,  77, 0.3,  0.6,   2.5,     5.0, "brass"),
    Instrument("alto sax",      65,  49,  81, 0.8,  0.6,   2.5,     6.0, "reed"),
    Instrument("tenor sax",     66,  44,  76, 0.8,  0.6,   2.5,     6.0, "reed"),
    Instrument("choir aahs",    52,  48,  79, 0.6,  0.7,   3.0,     6.0, "voice"),
    Instrument("harmonica",     22,  60,  91, 0.3,  0.5,   2.0,     5.0, "reed"),
]

INSTRUMENTS: Dict[str, Instrument] = {i.name: i for i in _TABLE}
# command-line friendly aliases: "french-horn", "french_horn", "alto-sax", "choir"
ALIASES = {n.replace(" ", "-"): n for n in INSTRUMENTS}
ALIASES.update({n.replace(" ", "_"): n for n in INSTRUMENTS})
ALIASES.update({"horn": "french horn", "choir": "choir aahs", "sax": "alto sax"})


def lookup(name: str) -> Instrument:
    """An instrument by name or alias (case-insensitive)."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in INSTRUMENTS:
        raise KeyError(f"unknown instrument {name!r}; known: {', '.join(INSTRUMENTS)}")
    return INSTRUMENTS[key]


def by_program(program: int) -> Instrument:
    """The table's entry for a GM program, or a generic one (range 48..84,
    moderate vibrato) for any other program 0..127."""
    if not 0 <= program <= 127:
        raise ValueError(f"GM program {program} outside 0..127")
    for i in _TABLE:
        if i.program == program:
            return i
    return Instrument(f"program {program}", program, 48, 84, 0.5, 0.55, 2.5, 6.0, "other")


def table_markdown() -> str:
    rows = ["| name | GM program (0-based) | MIDI range | vibrato | legato | max note s | max phrase s |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for i in _TABLE:
        rows.append(f"| {i.name} | {i.program} | {i.lo}..{i.hi} | {i.vibrato} | {i.legato} | "
                    f"{i.max_note} | {i.phrase} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table_markdown())
