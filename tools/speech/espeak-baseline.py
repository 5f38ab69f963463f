#!/usr/bin/env python3
"""The reading table scored for espeak-ng alone: what it says for the Chinese text, as pinyin syllables.

Usage: python3 tools/speech/espeak-baseline.py [--voice cmn-latn-pinyin] [--show]

Method (docs/SPEECH.md): espeak-ng's phoneme output (-x) for every pinyin syllable with every tone is
recorded first, so each phoneme string maps back to a syllable. Then each table entry's text is given to
espeak-ng as Hanzi, its phoneme output is split into syllables by the longest known phoneme string, and
the syllables are scored against the expected pinyin by longest common subsequence, as the Swift test
scores the front-end. Tone-3 variants (214 and 21) and the two neutral levels (11, 22) count as one.
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "Tests/CarillonSpeechTests/Data/readings.tsv"
DATA = ROOT / "Sources/CarillonSpeech/MandarinLexicon+Data.swift"


def espeak(voice: str, lines: list[str]) -> list[str]:
    out = subprocess.run(["espeak-ng", "-v", voice, "-x", "-q"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [l for l in out.split("\n") if l.strip()]


def clean(phonemes: str) -> str:
    s = re.sub(r"[',_| ]", "", phonemes)
    # Tone 3 is 214 or 21 by position; the neutral tone's level depends on the tone before it.
    return s.replace("214", "21").replace("22", "11").replace("33", "11").replace("44", "11")


def lcs(a, b):
    """Longest common subsequence of what espeak said (a) and the expected syllables (b). espeak-ng applies the
    3-3 tone change itself (ni3 hao3 -> ni2 hao3), and the table keeps citation tones, so a tone 2 where the
    table has a 3 before another 3 counts as right."""
    accept = []
    for j, y in enumerate(b):
        ok = {y}
        if y.endswith("3") and j + 1 < len(b) and b[j + 1].endswith("3"):
            ok.add(y[:-1] + "2")
        accept.append(ok)
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j in range(len(b)):
            cur[j + 1] = prev[j] + 1 if x in accept[j] else max(prev[j + 1], cur[j])
        prev = cur
    return prev[-1]


def main() -> int:
    voice = "cmn-latn-pinyin"
    if "--voice" in sys.argv:
        voice = sys.argv[sys.argv.index("--voice") + 1]
    text = DATA.read_text(encoding="utf-8")
    body = text.split('#"""\n', 1)[1].split("\n=\n", 1)[0]
    bases = sorted({line.split(" ", 1)[0][:-1] for line in body.split("\n") if " " in line})
    syllables = [b + str(t) for b in bases for t in range(1, 6)]
    # One syllable a sentence, so that each comes back on its own line.
    phonemes = espeak("cmn-latn-pinyin", [s + "." for s in syllables])
    table: dict[str, str] = {}
    if len(phonemes) == len(syllables):
        for s, p in zip(syllables, phonemes):
            table.setdefault(clean(p), s)
    else:
        for s in syllables:
            table.setdefault(clean(espeak("cmn-latn-pinyin", [s + "."])[0]), s)
    longest = max(len(k) for k in table)

    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        t, p = line.split("\t")
        rows.append((t, p.split()))
    said = espeak(voice, [t.replace("。", "，").rstrip("，") for t, _ in rows])
    if len(said) != len(rows):
        said = [" ".join(espeak(voice, [t])) for t, _ in rows]
    right = total = exact = 0
    for (t, expected), phon in zip(rows, said):
        s = clean(phon)
        got, i = [], 0
        while i < len(s):
            for n in range(min(longest, len(s) - i), 0, -1):
                if s[i:i + n] in table:
                    got.append(table[s[i:i + n]])
                    i += n
                    break
            else:
                i += 1  # a phoneme that belongs to no syllable (English letters, say)
        m = lcs(got, expected)
        right += m
        total += max(len(got), len(expected))
        exact += m == len(expected) == len(got)
        if "--show" in sys.argv and got != expected:
            print(f"{t}: got {' '.join(got)}, expected {' '.join(expected)}")
    print(f"espeak-ng -v {voice} alone: {right}/{total} syllables right ({100 * right / total:.2f} %), "
          f"{exact}/{len(rows)} entries exact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
