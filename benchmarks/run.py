"""Benchmark summarize side by side with LangChain, LlamaIndex and bilingual_book_maker.

    python benchmarks/run.py            # regenerates benchmarks/RESULTS.md (a few minutes)

Run it with the bench venv's python (see benchmarks/README.md for the set-up). Every tool runs
in its own subprocess (benchmarks/tools.py) against a fresh scripted endpoint per article
(benchmarks/endpoint.py), which records every request; all measures but wall time are read
from those recordings, so they mean the same for every tool.

With ``SUMMARIZE_BASE_URL`` set (``scripts/local-server start`` prints it), the seed article is
also summarized by each tool on that real endpoint, through a recording pass-through.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SEED = "seed-qwen3-grok.txt"
LONG = "long (all articles joined)"
LIVE_OUTPUT_TOKENS = 256
sys.path.insert(0, str(HERE))

import endpoint  # noqa: E402
from summarize import Settings  # noqa: E402
from summarize.chunking import split_sentences  # noqa: E402
from summarize.pipeline import reduce_budget  # noqa: E402
from summarize.text import to_traditional  # noqa: E402
from summarize.tokens import tokenizer_for  # noqa: E402

SUMMARY_TOOLS = ["summarize", "langchain-map_reduce", "langchain-refine", "llamaindex-tree"]
TRANSLATE_TOOLS = ["summarize-translate", "bbook-maker"]
LABELS = {
    "summarize": "**summarize** (summarize_article)",
    "summarize-translate": "**summarize** (translate_article)",
    "langchain-map_reduce": "LangChain map_reduce",
    "langchain-refine": "LangChain refine",
    "llamaindex-tree": "LlamaIndex TreeSummarize",
    "bbook-maker": "bilingual_book_maker",
}
PACKAGES = {
    "summarize": ["summarize", "openai"],
    "langchain-map_reduce": ["langchain-classic", "langchain-core", "langchain-openai", "langchain-text-splitters", "openai"],
    "llamaindex-tree": ["llama-index-core", "llama-index-llms-openai-like", "llama-index-llms-openai", "openai"],
    "bbook-maker": ["bbook-maker", "openai"],
}


@dataclass
class Article:
    name: str
    path: Path
    text: str
    tokens: int


@dataclass
class Job:
    id: str
    tool: str
    article: Article
    kind: str
    server: object = None
    result: dict = field(default_factory=dict)
    usage: list = field(default_factory=list)


def load_articles(names: list[str] | None, scratch: Path, count) -> list[Article]:
    files = sorted(p for p in CORPUS.glob("*.txt"))
    if not files:
        sys.exit(f"no articles in {CORPUS}: the corpus lives in ../shared/corpus beside the repository")
    articles = [Article(p.name, p, p.read_text(encoding="utf-8"), 0) for p in files]
    # The seed first, then the others by name, then all of them joined.
    articles.sort(key=lambda a: (a.name != SEED, a.name))
    joined = "\n\n".join(a.text.strip() for a in articles) + "\n"
    long_path = scratch / "long.txt"
    long_path.write_text(joined, encoding="utf-8")
    articles.append(Article(LONG, long_path, joined, 0))
    if names:
        articles = [a for a in articles if any(n in a.name for n in names)]
    for a in articles:
        a.tokens = count(a.text)
    return articles


def ideal_seconds(article: Article, args, note_tokens: int, room: int, *, translate: bool) -> float:
    """The ideal schedule: the fewest chunks the budget allows, all mapped at the concurrency cap,
    then the reduce rounds that notes of the scripted reply's size need, each round in parallel."""
    chunks = max(1, math.ceil(article.tokens / args.chunk_tokens))
    slots = math.ceil(chunks / args.concurrency)
    if not translate and chunks > 1:
        notes = chunks
        per_group = max(2, room // note_tokens)
        while notes > per_group:
            notes = math.ceil(notes / per_group)
            slots += math.ceil(notes / args.concurrency)
        slots += 1  # the final reduce
    return slots * args.latency


def versions_in(python: str, packages: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for p in sys.argv[1:]:\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: out[p] = 'not installed'\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run([python, "-c", code, *packages], capture_output=True, text=True)
    return json.loads(done.stdout) if done.returncode == 0 else {p: "?" for p in packages}


def shown_command(argv: list[str], li_python: str | None) -> str:
    """The command that regenerates the results, without this machine's venv paths."""
    parts, rest = [], iter(argv)
    for arg in rest:
        if arg == "--llamaindex-python":
            next(rest, None)
        elif not arg.startswith("--llamaindex-python="):
            parts.append(arg)
    command = "python benchmarks/run.py" + (" " + shlex.join(parts) if parts else "")
    if li_python and li_python != sys.executable:
        command += " --llamaindex-python <the LlamaIndex venv's python (benchmarks/README.md)>"
    return command


def llamaindex_python(given: str | None) -> tuple[str | None, str]:
    """The interpreter that has LlamaIndex, or None and why."""
    candidate = given or os.environ.get("BENCH_LLAMAINDEX_PYTHON")
    if candidate:
        return candidate, ""
    if importlib.util.find_spec("llama_index") and importlib.util.find_spec("llama_index.llms.openai_like"):
        return sys.executable, ""
    return None, (
        "not run: LlamaIndex is not installed for this run. llama-index-llms-openai pins openai<3 "
        "and summarize needs openai>=3, so it lives in a venv of its own: "
        "`python3 -m venv /tmp/benchvenv-llamaindex && /tmp/benchvenv-llamaindex/bin/pip install -r "
        "benchmarks/requirements-llamaindex.txt`, then pass `--llamaindex-python /tmp/benchvenv-llamaindex/bin/python`"
    )


def run_tool(tool: str, jobs: list[Job], python: str, args, scratch: Path, make_server, timeout: float = 120,
             output_tokens: int = 1024) -> None:
    """Start one endpoint per job, run the tool's worker over all of them, collect the results."""
    results_path = scratch / f"{tool}-{time.monotonic_ns()}.jsonl"
    specs = []
    try:
        for job in jobs:
            job.server = make_server(job).__enter__()
            specs.append({
                "id": job.id,
                "article": str(job.article.path),
                "base_url": job.server.base_url,
                "chunk_tokens": args.chunk_tokens,
                "concurrency": args.concurrency,
                "reduce_tokens": args.reduce_tokens,
                "kind": job.kind,
                "timeout": timeout,
                "output_tokens": output_tokens,
                "keep_truncated": output_tokens == LIVE_OUTPUT_TOKENS,
            })
        jobs_path = scratch / f"{tool}-jobs.json"
        jobs_path.write_text(json.dumps(specs), encoding="utf-8")
        log_path = scratch / f"{tool}.log"
        print(f"  {tool}: {len(jobs)} job(s)", file=sys.stderr, flush=True)
        with open(log_path, "a", encoding="utf-8") as log:
            subprocess.run(
                [python, str(HERE / "tools.py"), tool, str(jobs_path), str(results_path)],
                stdout=log, stderr=log, cwd=scratch, timeout=max(args.tool_timeout, 2 * timeout), check=False,
                env={**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": ""},
            )
    except subprocess.TimeoutExpired:
        pass
    finally:
        for job in jobs:
            if job.server is not None:
                job.server.__exit__(None, None, None)
    found = {}
    if results_path.exists():
        for line in results_path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found[row["id"]] = row
    for job in jobs:
        job.result = found.get(job.id) or {"error": "no result (the worker crashed or timed out; see its log)", "output": ""}


def measure(job: Job, ideal: float | None) -> dict:
    requests = job.server.chat_requests
    article = job.article
    sent_chars = sum(
        len(m.get("content") if isinstance(m.get("content"), str) else json.dumps(m.get("content")))
        for r in requests for m in r.messages
    )
    user_texts = [r.user_text for r in requests]
    sentences = [s.strip() for s in split_sentences(article.text) if s.strip()]
    cut = sum(1 for s in sentences if not any(s in u for u in user_texts))
    # Article text sent: each sentence's characters times its occurrences in all requests, over
    # its occurrences in the article (repeated sentences count as often as the article has them).
    # Sentences under 8 characters are left out: they turn up inside other text by chance.
    multiplicity = collections.Counter(s for s in sentences if len(s) >= 8)
    carried = sum(len(s) * sum(u.count(s) for u in user_texts) for s in multiplicity)
    resent = carried / max(1, sum(len(s) * k for s, k in multiplicity.items()))
    output = job.result.get("output") or ""
    seconds = job.result.get("seconds")
    prompt_tokens = sum(u for u in job.usage if u) if job.usage else None
    return {
        "requests": len(requests),
        "peak": job.server.peak_in_flight,
        "seconds": seconds,
        "ideal": ideal,
        "ratio": seconds / ideal if seconds and ideal else None,
        "chars": sent_chars / len(article.text),
        "resent": resent,
        "excess": round(max(0.0, resent - 1), 2),
        "prompt_tokens": prompt_tokens,
        "cut": cut,
        "sentences": len(sentences),
        "think": ("<think>" in output.lower() or "</think>" in output.lower()) if output else None,
        "drift": to_traditional(output)[1] if job.kind == "summary-zh" and output else None,
        "error": job.result.get("error"),
        "not_run": job.result.get("not_run"),
    }


def fmt_row(label: str, article: str, m: dict, *, usage: bool, drift: bool) -> str:
    if m.get("not_run"):
        cells = ["not run"] + ["–"] * (8 + usage + drift)
        return f"| {label} | {article} | " + " | ".join(cells) + " |"
    failed = f" (**failed**: {m['error'][:80]})" if m.get("error") else ""
    cells = [
        str(m["requests"]),
        str(m["peak"]),
        f"{m['seconds']:.1f}" if m["seconds"] is not None else "–",
        f"{m['ideal']:.1f}" if m["ideal"] else "–",
        f"{m['ratio']:.2f}×" if m["ratio"] else "–",
        f"{m['chars']:.2f}×",
        f"{m['resent']:.2f}×",
    ]
    if usage:
        cells.append(str(m["prompt_tokens"]) if m["prompt_tokens"] is not None else "–")
    cells.append(f"{m['cut']} / {m['sentences']}")
    cells.append("–" if m["think"] is None else ("**yes**" if m["think"] else "no"))
    if drift:
        cells.append("–" if m["drift"] is None else str(m["drift"]))
    return f"| {label}{failed} | {article} | " + " | ".join(cells) + " |"


def table(title: str, rows: list[tuple[str, str, dict]], *, usage: bool = False, drift: bool = False, ideal: str = "ideal s") -> list[str]:
    head = ["tool", "article", "requests", "peak in flight", "wall s", ideal, "wall / ideal", "chars sent / article", "article text sent"]
    if usage:
        head.append("prompt tokens (usage)")
    head += ["sentences cut", "`<think>` leaked"]
    if drift:
        head.append("Simplified chars in zh-Hant output")
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += [fmt_row(label, article, m, usage=usage, drift=drift) for label, article, m in rows]
    return lines + [""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.4, help="seconds the scripted endpoint takes per request (default 0.4)")
    parser.add_argument("--chunk-tokens", type=int, default=500, help="chunk budget in Qwen tokens for every tool (default 500)")
    parser.add_argument("--concurrency", type=int, default=4, help="most requests in flight for every tool (default 4)")
    parser.add_argument("--articles", nargs="*", help="only articles whose name contains one of these")
    parser.add_argument("--tools", nargs="*", help=f"only these tools (of {', '.join(SUMMARY_TOOLS + TRANSLATE_TOOLS)})")
    parser.add_argument("--llamaindex-python", help="python of the LlamaIndex venv (or set BENCH_LLAMAINDEX_PYTHON)")
    parser.add_argument("--no-live", action="store_true", help="skip the real endpoint even if SUMMARIZE_BASE_URL is set")
    parser.add_argument("--tool-timeout", type=float, default=600, help="seconds one tool may take over all articles")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="where to write the results (default benchmarks/RESULTS.md)")
    args = parser.parse_args()

    counter = tokenizer_for(None, "qwen")
    settings = Settings(base_url="http://127.0.0.1/v1", model="scripted", chunk_tokens=args.chunk_tokens,
                        concurrency=args.concurrency, tokenizer="qwen")
    args.reduce_tokens = reduce_budget(settings, counter)
    note_tokens = counter.count(endpoint.SUMMARY_EN) + 8
    li_python, li_reason = llamaindex_python(args.llamaindex_python)
    command = shown_command(sys.argv[1:], li_python)
    pythons = {t: sys.executable for t in SUMMARY_TOOLS + TRANSLATE_TOOLS}
    pythons["llamaindex-tree"] = li_python
    tools = [t for t in SUMMARY_TOOLS + TRANSLATE_TOOLS if not args.tools or t in args.tools]
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="summarize-bench-") as tmp:
        scratch = Path(tmp)
        articles = load_articles(args.articles, scratch, counter.count)
        seed = [a for a in articles if a.name == SEED]
        jobs: dict[str, list[Job]] = {}
        for tool in tools:
            translate = tool in TRANSLATE_TOOLS
            kinds = ["translate"] if translate else ["summary"]
            jobs[tool] = [Job(f"{a.name}:{k}", tool, a, k) for k in kinds for a in articles]
            if not translate:
                jobs[tool] += [Job(f"{a.name}:summary-zh", tool, a, "summary-zh") for a in seed]

        def scripted(job: Job):
            return endpoint.server(job.kind, args.latency)

        for tool in tools:
            if pythons[tool] is None:
                for job in jobs[tool]:
                    job.result = {"not_run": li_reason}
                continue
            run_tool(tool, jobs[tool], pythons[tool], args, scratch, scripted)

        # A real endpoint, when one is configured: the seed article only (it is slow).
        live_rows: list[tuple[str, str, dict]] = []
        live_url = None if args.no_live else os.environ.get("SUMMARIZE_BASE_URL")
        live_model = None
        if live_url and seed:
            live_model, live_rows = run_live(live_url, [t for t in tools if t in SUMMARY_TOOLS], seed[0], args, scratch, pythons, li_reason)

    elapsed = time.monotonic() - t0
    summary_rows, zh_rows, translate_rows = [], [], []
    for tool in tools:
        for job in jobs[tool]:
            translate = job.kind == "translate"
            ideal = ideal_seconds(job.article, args, note_tokens, args.reduce_tokens, translate=translate)
            m = measure(job, ideal) if job.server is not None else {"not_run": job.result.get("not_run")}
            short = job.article.name.removesuffix(".txt").removesuffix(".zh-Hant")
            row = (LABELS[tool], short + (" → zh-Hant" if job.kind == "summary-zh" else ""), m)
            (translate_rows if translate else zh_rows if job.kind == "summary-zh" else summary_rows).append(row)
    summary_rows.sort(key=lambda r: article_order(r[1], articles))
    translate_rows.sort(key=lambda r: article_order(r[1], articles))

    versions = {"python": platform.python_version()}
    for tool, packages in PACKAGES.items():
        python = pythons.get(tool) or sys.executable
        if tool == "llamaindex-tree" and li_python is None:
            continue
        for name, version in versions_in(python, packages).items():
            key = name if name != "openai" else f"openai ({'LlamaIndex venv' if tool == 'llamaindex-tree' and python != sys.executable else 'main bench venv'})"
            versions[key] = version

    if live_url:
        command = "SUMMARIZE_BASE_URL=<the URL scripts/local-server start prints> " + command
    text = render(args, command, started, elapsed, articles, summary_rows, zh_rows, translate_rows,
                  versions, li_reason, live_url, live_model, live_rows, note_tokens)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"wrote {args.output} in {elapsed:.0f} s", file=sys.stderr)
    return 0


def article_order(short: str, articles: list[Article]) -> int:
    for i, a in enumerate(articles):
        if a.name.removesuffix(".txt").removesuffix(".zh-Hant") == short:
            return i
    return len(articles)


def run_live(url: str, tools: list[str], seed: Article, args, scratch: Path, pythons: dict, li_reason: str):
    """Each summary tool on the seed article against a real endpoint, through a recording pass-through."""
    model = endpoint.upstream_model(url)
    rows = []
    for tool in tools:
        job = Job(f"{seed.name}:live", tool, seed, "summary")
        if pythons[tool] is None:
            rows.append((LABELS[tool], seed.name.removesuffix(".txt"), {"not_run": li_reason}))
            continue
        # A small model on two cores takes minutes when four requests share them, and it tends to
        # write until the reply limit: every tool gets the same smaller limit here.
        run_tool(tool, [job], pythons[tool], args, scratch, lambda j: endpoint.passthrough(url, model, j.usage),
                 timeout=900, output_tokens=LIVE_OUTPUT_TOKENS)
        rows.append((LABELS[tool], seed.name.removesuffix(".txt"), measure(job, None)))
    return model, rows


def render(args, command, started, elapsed, articles, summary_rows, zh_rows, translate_rows, versions,
           li_reason, live_url, live_model, live_rows, note_tokens) -> str:
    cores = os.cpu_count()
    lines = [
        "# Benchmarks: summarize beside LangChain, LlamaIndex and bilingual_book_maker",
        "",
        "Generated by `benchmarks/run.py`; do not edit by hand. Regenerate with:",
        "",
        "```",
        command,
        "```",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; the run took {elapsed:.0f} s.",
        f"- Machine: {platform.system()} {platform.machine()}, {cores} cores, Python {platform.python_version()}"
        " (shared with other work: compare ratios within this run, not seconds across runs).",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        f"- Endpoint: the scripted OpenAI-compatible server (`benchmarks/endpoint.py`), {args.latency:g} s per request"
        " whatever its size; every reply starts with a `<think>…</think>` block.",
        f"- Every tool: chunk budget {args.chunk_tokens} tokens counted by the same offline Qwen BPE, at most"
        f" {args.concurrency} requests in flight, an 8,192-token context with 1,024 reserved for the reply"
        f" (where the tool takes them). The ideal schedule is the fewest chunks the budget allows"
        f" (article tokens / {args.chunk_tokens}, rounded up), all mapped {args.concurrency} at a time, then the"
        f" reduce rounds that notes of the scripted reply's size ({note_tokens} tokens) need in a"
        f" {args.reduce_tokens}-token reduce budget, each round in parallel; for translation, the chunks alone.",
        "- Articles: " + ", ".join(f"{a.name} ({len(a.text):,} chars, {a.tokens:,} tokens)" for a in articles)
        + ", read from `../shared/corpus/`.",
        "",
        "Columns: *requests* sent; *peak in flight* as the endpoint saw it; *wall s* is the tool's own call"
        " (imports and set-up excluded) and *wall / ideal* its ratio to the ideal schedule; *chars sent /"
        " article* counts every message's characters (system prompts included) over the article's;"
        " *article text sent* counts how often the article's sentences (of 8 characters or more) occur"
        " in all requests together, weighted by length, over how often the article has them (1.00× ="
        " every sentence sent once; above that, article text re-sent; below, text cut or dropped);"
        " *sentences cut* are the article's sentences (`summarize.chunking.split_sentences`) that no"
        " request carried whole in its user content; *`<think>` leaked* checks the final output.",
        "",
    ]
    lines += table("English summaries", summary_rows)
    lines += table("Summaries in Traditional Chinese (seed article)", zh_rows, drift=True)
    lines += [
        f"The scripted reply for zh-Hant jobs mixes in {to_traditional(endpoint.SUMMARY_ZH_DRIFT)[1]} characters"
        " that OpenCC `s2tw` changes (Simplified forms), as small models drift; the last column counts"
        " the characters `s2tw` changes in each tool's final output.",
        "",
    ]
    lines += table("Translation to English", translate_rows, ideal="ideal s")
    if live_url:
        lines += table(f"On a real endpoint: llama-server ({live_model}), seed article", live_rows, usage=True, ideal="ideal s")
        lines += [
            "Wall / ideal is not given here: a real model's latency grows with the request's size. Every"
            f" tool's replies are capped at {LIVE_OUTPUT_TOKENS} tokens on this endpoint (the model tends to write"
            " until the cap), and summarize runs with `on_truncation=\"keep\"` (its setting for such"
            " models; the default raises `TruncatedOutputError`, where the peers keep a cut reply without a"
            " word). A small model may copy Chinese sentences into its notes, which then travel again in the"
            " reduce request, and summarize asks once more, with a firmer instruction, when a reply comes back in"
            " Chinese instead of English (the peers keep such a reply as it is): so *article text sent* can exceed"
            " 1.00× here, and summarize can send an extra request. Prompt tokens are summed from the server's `usage`.",
            "",
        ]
    else:
        lines += [
            "### On a real endpoint",
            "",
            "Not run: `SUMMARIZE_BASE_URL` was not set. Start llama-server with `scripts/local-server start`,"
            " export the line it prints, and run the same command to add a seed-article table with prompt"
            " tokens from `usage`.",
            "",
        ]
    lines += verdict(summary_rows, zh_rows, translate_rows)
    lines += notes(args, li_reason)
    return "\n".join(lines).rstrip() + "\n"


def verdict(summary_rows, zh_rows, translate_rows) -> list[str]:
    """How this library's rows compare with every peer's, metric by metric, computed from the tables."""
    lines = ["## summarize against the peers, from the tables above", ""]
    for title, rows, ours_label in (
        ("Summaries", summary_rows + zh_rows, LABELS["summarize"]),
        ("Translation", translate_rows, LABELS["summarize-translate"]),
    ):
        ran = [(label, article, m) for label, article, m in rows if not m.get("not_run") and not m.get("error")]
        ours = {(a, i): m for i, (label, a, m) in enumerate(ran) if label == ours_label}
        peers = sorted({label for label, _, _ in ran if label != ours_label})
        if not ours or not peers:
            lines += [f"- {title}: not compared (this library's or every peer's rows did not run).", ""]
            continue
        by_tool = {label: [m for lbl, _, m in ran if lbl == label] for label in [ours_label, *peers]}

        def total(label: str, key: str) -> str:
            values = [m[key] for m in by_tool[label] if m.get(key) is not None]
            return f"{sum(values):g}" if values else "–"

        def mean(label: str, key: str) -> str:
            values = [m[key] for m in by_tool[label] if m.get(key) is not None]
            return f"{sum(values) / len(values):.2f}×" if values else "–"

        def leaks(label: str) -> str:
            values = [m["think"] for m in by_tool[label] if m.get("think") is not None]
            return f"{sum(values)} of {len(values)}"

        def at_or_below(key: str, slack: float, plus: float = 0.0) -> str:
            # Per article: is ours at or below the best peer (within slack, the timing noise)?
            wins = total_ = 0
            for label, article, m in ran:
                if label != ours_label or m.get(key) is None:
                    continue
                others = [o[key] for lbl, a, o in ran if a == article and lbl != ours_label and o.get(key) is not None]
                if not others:
                    continue
                total_ += 1
                wins += m[key] <= min(others) * (1 + slack) + plus + 1e-9
            return f"{wins} of {total_}"

        names = ", ".join(peers)
        lines += [
            f"**{title}** (peers: {names})",
            "",
            "| measure | " + " | ".join([ours_label, *peers]) + " |",
            "|---|" + "---|" * (1 + len(peers)),
            "| sentences cut, all articles | " + " | ".join(total(t, "cut") for t in [ours_label, *peers]) + " |",
            "| outputs with `<think>` leaked | " + " | ".join(leaks(t) for t in [ours_label, *peers]) + " |",
            "| article text sent, mean | " + " | ".join(mean(t, "resent") for t in [ours_label, *peers]) + " |",
            "| article text re-sent (above 1.00×), mean | " + " | ".join(mean(t, "excess") for t in [ours_label, *peers]) + " |",
            "| all characters sent / article, mean | " + " | ".join(mean(t, "chars") for t in [ours_label, *peers]) + " |",
            "| wall / ideal, mean | " + " | ".join(mean(t, "ratio") for t in [ours_label, *peers]) + " |",
        ]
        if zh_rows and title == "Summaries":
            lines.append("| Simplified chars in zh-Hant outputs | " + " | ".join(total(t, "drift") for t in [ours_label, *peers]) + " |")
        lines += [
            "",
            f"Per article, this library is at or below the best peer on article text re-sent in"
            f" {at_or_below('excess', 0.0, 0.02)} (within 0.02×: short sentences repeated inside others),"
            f" on all characters sent in {at_or_below('chars', 0.0)}, and on"
            f" wall / ideal (within 5%, the timing noise of a shared machine) in {at_or_below('ratio', 0.05)}"
            " articles" + (" (zh-Hant rows included)." if title == "Summaries" else "."),
            "",
        ]
    return lines


def notes(args, li_reason: str) -> list[str]:
    return [
        "## How each peer is run",
        "",
        "- **LangChain**: `load_summarize_chain(ChatOpenAI(...), chain_type=\"map_reduce\" | \"refine\")`"
        " from `langchain-classic`, invoked with `ainvoke`, over documents cut by"
        f" `RecursiveCharacterTextSplitter.from_tiktoken_encoder(chunk_size={args.chunk_tokens}, chunk_overlap=0)`."
        " `from_tiktoken_encoder` calls `tiktoken.get_encoding()`, whose gpt2/cl100k/o200k files are a"
        " download that fails offline, so the harness registers the Qwen encoding in tiktoken's registry under"
        " the name `qwen` and passes `encoding_name=\"qwen\"`: the documented call, with the same tokenizer"
        " as every other tool. `ChatOpenAI` gets `custom_get_token_ids` (the reduce step's `token_max` check"
        f" would load tiktoken too) and `token_max={args.reduce_tokens}`, our reduce budget. Its async path"
        f" sends every map at once; an `httpx2.AsyncClient` pool of {args.concurrency} connections is the cap."
        " For zh-Hant the final prompt (map_reduce: `combine_prompt`; refine: `question_prompt`) asks for"
        " Traditional Chinese.",
        "- **LlamaIndex**: `TreeSummarize(llm=OpenAILike(...), use_async=True)` over"
        f" `SentenceSplitter(chunk_size={args.chunk_tokens}, chunk_overlap=0, tokenizer=qwen)` chunks, with a"
        f" `PromptHelper(chunk_size_limit={args.chunk_tokens})` so its repacking keeps the same budget, and an"
        f" `httpx.AsyncClient` pool of {args.concurrency} connections as the cap (it gathers every request at once)."
        " Its cut sentences come from `SentenceSplitter`, which finds sentence ends with nltk's English punkt"
        " and otherwise splits at `,.;。？！` (ASCII commas included) when a sentence runs past the budget,"
        " and from TreeSummarize's repacking, which re-splits text by tokens."
        " It runs in a venv of its own: `llama-index-llms-openai` pins `openai<3` while summarize needs"
        " `openai>=3`, so the two cannot share the `bench` extra (see `benchmarks/requirements-llamaindex.txt`)."
        + (f" This run: {li_reason}" if li_reason else ""),
        "- **bilingual_book_maker** (`bbook-maker`): its CLI on a .txt copy of the article in a temporary folder,"
        " `--api_format openai --api_base <endpoint> --model scripted --language en --single_translate`."
        " Its txt loader sends 10 lines per request, one request at a time (`--parallel-workers` is for epub"
        " and markdown only), so its budget is lines, not tokens, and its concurrency is 1.",
        "- **summarize**: `summarize_article(text, settings=Settings(chunk_tokens=..., concurrency=...,"
        " tokenizer=\"qwen\", context_tokens=8192, output_tokens=1024))`; `translate_article` with the same"
        " settings and its defaults: no glossary given, so an article of several chunks costs one more request"
        " (the terms that recur across chunks, from which the model picks the names), and no translation"
        " context (`SUMMARIZE_TRANSLATION_CONTEXT` off). Its requests carry more than the article's text"
        " alone: a system prompt that fences the text as data, and a marker before every paragraph in"
        " translation; that is the gap in *chars sent / article*.",
        "- andrewyng's translation-agent is not in the harness: its PyPI release is an empty placeholder."
        " Measured separately: sequential, every request carries the whole article, 57 requests and 21× the"
        " ideal wall time on the seed article at 300-token chunks.",
        "",
    ]


if __name__ == "__main__":
    sys.exit(main())
