"""How many checklist facts the chosen key sentences hold, before any model sees them.

    python benchmarks/chooser_ceiling.py [--words 150,200,250,300,400]

For each summary length, ``keysentences.choose`` picks the sentences of each corpus article that
``summarize_article`` would send at that ``summary_words`` (``summary_words`` ×
``KEY_CHARACTERS_PER_WORD`` characters), and a checklist fact of ``quality_facts.json`` counts
as held when its source form (the way the article writes it) is in those sentences. The total
is the ceiling of a key-sentence summary's recall in ``quality.py``: a perfect translation of
the chosen sentences scores this and no more. No model and no network: it runs in a second.
"""

from __future__ import annotations

import argparse
import sys

from quality import corpus_dir, load_facts

from summarize import Settings, keysentences
from summarize.budget import key_sentence_characters


def held(article: str, facts: list[dict], characters: int) -> list[dict]:
    """The facts whose source form is in the sentences chosen at ``characters``."""
    chosen = "\n".join(sentence.text for sentence in keysentences.choose(article, characters))
    return [fact for fact in facts if fact["source"] in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", default="150", help="summary lengths in words, comma-separated (default: 150, the default length)")
    parser.add_argument("--verbose", action="store_true", help="list each article's missing facts")
    args = parser.parse_args()
    checklist = load_facts()
    corpus = corpus_dir()
    articles = {name: (corpus / name).read_text(encoding="utf-8") for name in checklist}
    for words in (int(w) for w in args.words.split(",")):
        characters = key_sentence_characters(Settings(summary_words=words))
        total = kept = 0
        for name, facts in checklist.items():
            found = held(articles[name], facts, characters)
            total += len(facts)
            kept += len(found)
            if args.verbose:
                missing = [fact["source"] for fact in facts if fact not in found]
                print(f"  {name}: {len(found)}/{len(facts)}; not chosen: {', '.join(missing) or 'none'}")
        print(f"summary_words {words} ({characters} characters): the chosen sentences hold {kept}/{total} facts, {kept / total:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
