"""How the name check's cost grows with the glossary: it should barely grow at all.

    python benchmarks/glossary_scale.py [--sizes 0,5000,20000] [--article tainan-1624]

For each size, a glossary of that many names, none of them in the article, and the seconds
``verify.unsupported_names`` takes over every paragraph of a corpus article (the check a
translation runs once per pair, and a summary once). Before the check skipped renderings
absent from the output, it compiled one pattern per rendering per paragraph: on the 1624
release, 20,000 names took 25.8 s and 5,000 took 6.1 s; now 0.6 s and 0.1 s (the first size
also pays for warming up).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from summarize.verify import unsupported_names

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,5000,20000", help="glossary sizes, comma-separated")
    parser.add_argument("--article", default="tainan-1624", help="a corpus file name's start")
    args = parser.parse_args()
    (path,) = sorted(CORPUS.glob(f"{args.article}*.txt"))[:1]
    paragraphs = [p for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    # An English line per paragraph, naming what a translation of a Tainan release names.
    english = [f"Tainan Mayor Huang Wei-che said paragraph {n} holds 1,624 items." for n in range(len(paragraphs))]
    for size in (int(s) for s in args.sizes.split(",")):
        glossary = {f"人名{i:05d}": f"Person Name{i}" for i in range(size)}
        started = time.perf_counter()
        for source, output in zip(paragraphs, english):
            unsupported_names(output, source, glossary)
        seconds = time.perf_counter() - started
        print(f"{size:>6} names: {seconds:.2f} s over {len(paragraphs)} paragraphs of {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
