#!/bin/sh
# The lexicon's parse time and resident memory, and the front-end's speed, in a release (-O) build of the
# front-end's own sources: docs/SPEECH.md quotes its output. Usage: sh tools/speech/lexicon-bench.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$root/Sources/CarillonSpeech
# The digest extension needs CarillonCrypto; the bench does not.
sed -e '/^extension MandarinLexicon {$/,$d' -e 's/^import CarillonCrypto$//' "$src/MandarinLexicon.swift" > "$work/Lexicon.swift"
cp "$src/MandarinFrontEnd.swift" "$src/MandarinLexicon+Data.swift" "$src/Pinyin.swift" "$src/MandarinNormalizer.swift" \
    "$src/MandarinNumbers.swift" "$root/tools/speech/bench/main.swift" "$work/"
cd "$work"
swiftc -O -module-name Bench Lexicon.swift MandarinLexicon+Data.swift Pinyin.swift MandarinFrontEnd.swift \
    MandarinNormalizer.swift MandarinNumbers.swift main.swift -o bench
for run in 1 2 3; do ./bench; done
