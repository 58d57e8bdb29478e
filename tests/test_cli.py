"""The installed ``summarize`` console script, run as a subprocess against the scripted server.

Every test runs the real entry point (``<venv>/bin/summarize``) so packaging, argument parsing,
exit codes and printing are all under test. The environment comes from conftest's clean_env:
no developer SUMMARIZE_* variables, the cache off and in the test's own folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import pty
import re
import select
import shlex
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from scripted_server import ScriptedServer, Step, completion

from conftest import SAMPLE, SEED, corpus_text

from summarize import cli, output

CLI = Path(sys.executable).with_name("summarize")
ARTICLE = "臺南市政府今天宣布，明年起擴大公車路網。市長表示，新路線將連接科學園區與火車站。"


def run(
    *args: str,
    server: ScriptedServer | None = None,
    env: dict | None = None,
    stdin: str | None = None,
    timeout: float = 30,
) -> subprocess.CompletedProcess:
    environ = dict(os.environ)
    if server is not None:
        environ.update(SUMMARIZE_BASE_URL=server.base_url, SUMMARIZE_RETRY_BACKOFF="0.01", SUMMARIZE_TIMEOUT="10")
    environ.update(env or {})
    return subprocess.run(
        [str(CLI), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


# Usage as a server reports it for these short prompts (the client warns when a server counts
# far fewer prompt tokens than it was sent, as Ollama does when it cuts a prompt).
USAGE = {"prompt_tokens": 1000, "completion_tokens": 10, "total_tokens": 1010}


def reply(text: str, **kwargs) -> Step:
    return Step.reply(text, usage=USAGE, **kwargs)


@pytest.fixture
def scripted():
    """The scripted server, answering with realistic usage."""
    with ScriptedServer(default=lambda seen: reply("A scripted summary.")) as server:
        yield server


def call(*args: str, server: ScriptedServer | None = None, env: dict | None = None, stdin: str = "") -> SimpleNamespace:
    """``summarize.cli.main`` in this process, for variants of what a subprocess test already covers.

    Cheaper than a process (no interpreter start, no tokenizer load), so the suite stays fast;
    every option and subcommand also has at least one test through the installed script.
    """
    from summarize import cli

    saved_env, saved_stdin = dict(os.environ), sys.stdin
    if server is not None:
        os.environ.update(SUMMARIZE_BASE_URL=server.base_url, SUMMARIZE_RETRY_BACKOFF="0.01", SUMMARIZE_TIMEOUT="10")
    os.environ.update(env or {})
    sys.stdin = io.StringIO(stdin)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exit:  # argparse
                code = exit.code
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdin = saved_stdin
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "bus.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_the_console_script_is_installed_and_reports_its_version():
    assert CLI.is_file(), f"{CLI} is missing: pip install -e . installs the summarize console script"
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "summarize 0.1.0"


def test_python_dash_m_runs_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "summarize", "--version"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and result.stdout.strip() == "summarize 0.1.0"


def test_a_file_prints_its_english_summary(scripted, article):
    result = run(str(article), server=scripted)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "A scripted summary.\n"
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    (request,) = scripted.chat_requests
    assert ARTICLE in request.user_text
    assert request.body["model"] == "scripted"  # the only model /models lists


def test_dash_reads_the_article_from_stdin(scripted):
    result = run("-", server=scripted, stdin=ARTICLE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "A scripted summary.\n"
    assert ARTICLE in scripted.chat_requests[0].user_text


def raw_run(*args: str, server: ScriptedServer, data: bytes, env: dict) -> subprocess.CompletedProcess:
    """The installed script with these bytes on stdin."""
    environ = {**os.environ, "SUMMARIZE_BASE_URL": server.base_url, "SUMMARIZE_TIMEOUT": "10", **env}
    return subprocess.run([str(CLI), *args], input=data, capture_output=True, env=environ, timeout=30)


@pytest.mark.parametrize("args", [["-"], [], ["/dev/stdin"]], ids=["dash", "piped", "dev-stdin"])
def test_stdin_is_read_as_utf8_whatever_the_locale_says(scripted, args):
    # Under a latin-1 stream encoding (as a cp1252 or C locale gives) a UTF-8 article was read
    # as mojibake and sent; /dev/stdin and a shell's <(command) were "no such file".
    result = raw_run(*args, server=scripted, data=ARTICLE.encode(), env={"PYTHONIOENCODING": "latin-1"})
    assert result.returncode == 0, result.stderr.decode()
    assert ARTICLE in scripted.chat_requests[-1].user_text


def test_a_file_or_stdin_that_never_ends_is_refused_past_the_size_of_an_article(scripted):
    # /dev/zero was read until memory ran out (a MemoryError, exit 1).
    as_file = raw_run("/dev/zero", server=scripted, data=b"", env={})
    with open("/dev/zero", "rb") as zero:
        environ = {**os.environ, "SUMMARIZE_BASE_URL": scripted.base_url}
        piped = subprocess.run([str(CLI), "-"], stdin=zero, capture_output=True, env=environ, timeout=60)
    for result, name in ((as_file, "/dev/zero"), (piped, "stdin")):
        assert result.returncode == 2
        assert result.stderr.decode().startswith(f"summarize: error: {name} holds more than 32 MiB (or never ends)")
    assert scripted.requests == []


def test_stdin_that_is_not_utf8_is_refused_with_the_way_to_convert_it(scripted):
    result = raw_run("-", server=scripted, data=ARTICLE.encode("big5"), env={})
    assert result.returncode == 2
    assert "stdin is not UTF-8 text" in result.stderr.decode() and "iconv -f BIG5 -t UTF-8" in result.stderr.decode()
    assert scripted.requests == []


def test_languages_asks_for_each_language_and_labels_them(scripted, article):
    scripted.default = lambda seen: reply("中文摘要。" if "繁體中文" in seen.task_text else "English summary.")
    result = run(str(article), "--languages", "en,zh-Hant", server=scripted)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[en]\nEnglish summary.\n\n[zh-Hant]\n中文摘要。\n"
    assert len(scripted.chat_requests) == 2


def test_an_unknown_language_is_a_usage_error_on_one_line(scripted, article):
    result = run(str(article), "--languages", "en,fr", server=scripted)
    assert result.returncode == 2
    assert "expected a comma-separated list of en, zh-Hant, got 'en,fr'" in result.stderr
    assert "Traceback" not in result.stderr
    assert scripted.requests == []


def test_a_language_tag_for_traditional_chinese_names_the_code_to_use(scripted, article):
    result = run(str(article), "--languages", "en,zh-TW", server=scripted)
    assert result.returncode == 2 and scripted.requests == []
    assert result.stderr.splitlines()[-1].endswith(
        "expected a comma-separated list of en, zh-Hant, got 'en,zh-TW'; Traditional Chinese is 'zh-Hant' (written with Taiwan usage)"
    )


def test_json_prints_one_object_per_article(scripted, article, tmp_path):
    second = tmp_path / "two.txt"
    second.write_text("高雄港今天創下貨櫃吞吐量新紀錄。", encoding="utf-8")
    result = run(str(article), str(second), "--json", "--languages", "en,zh-Hant", server=scripted)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    # In the order they finished (issue 12: each prints as soon as it is ready), each naming its file.
    assert sorted(r["file"] for r in records) == sorted([str(article), str(second)])
    first = next(r for r in records if r["file"] == str(article))
    assert first["summary"] == "A scripted summary."
    assert set(first["summaries"]) == {"en", "zh-Hant"}
    assert first["chunks"] == 1 and first["model"] == "scripted"
    # The scripted model answers English to the zh-Hant request too: that one is asked again.
    assert first["usage"] == {"requests": 3, "attempts": 3, "cache_hits": 0, "prompt_tokens": 3000, "completion_tokens": 30}
    assert isinstance(first["elapsed"], float) and first["elapsed"] >= 0


def test_markdown_has_a_heading_per_article_and_language(scripted, article):
    result = run(str(article), "--markdown", server=scripted)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# bus.txt\n\n## Summary (English)\n\nA scripted summary.\n")


def test_translate_prints_the_aligned_bilingual_translation(scripted, tmp_path):
    import fake_translator

    path = tmp_path / "two-paragraphs.txt"
    path.write_text("臺南市政府今天宣布擴大公車路網。\n市長表示，新路線將連接科學園區。\n", encoding="utf-8")
    scripted.default = fake_translator.translator()
    as_json = run(str(path), "--translate", "--json", server=scripted)
    assert as_json.returncode == 0, as_json.stderr
    record = json.loads(as_json.stdout)
    first, second = "臺南市政府今天宣布擴大公車路網。", "市長表示，新路線將連接科學園區。"
    english = [fake_translator.english(first), fake_translator.english(second)]
    assert record["pairs"] == [[first, english[0]], [second, english[1]]]
    assert record["translation"] == "\n\n".join(english)
    assert record["target"] == "en" and record["usage"]["requests"] == 1 and "summary" not in record

    as_markdown = call(str(path), "--translate", "--markdown", server=scripted)
    assert as_markdown.returncode == 0, as_markdown.stderr
    assert as_markdown.stdout.startswith("# two-paragraphs.txt\n\n")
    for text in (first, second, *english):
        assert text in as_markdown.stdout
    plain = call(str(path), "--translate", server=scripted)
    assert plain.stdout == "\n\n".join(english) + "\n"


def test_plain_output_puts_a_results_flags_on_stderr_as_markdown_and_json_carry_them(scripted, tmp_path):
    # A model that echoes the Chinese: plain text printed it as the translation, exit 0, and
    # nothing on stderr said the paragraphs failed their check (--markdown's "Unverified" note).
    import fake_translator

    path = tmp_path / "a.txt"
    path.write_text("臺南市政府今天宣布新的交通政策。\n市長表示，將投入1,500萬元改善交通。\n", encoding="utf-8")
    scripted.default = fake_translator.translator(translate=lambda source: source)
    plain = call(str(path), "--translate", server=scripted)
    assert plain.returncode == 0, plain.stderr
    assert plain.stderr.splitlines()[-1] == (
        f"summarize: warning: {path}: Unverified: paragraph(s) 1, 2 still failed their check against the source "
        "after one more request."
    )
    markdown = call(str(path), "--translate", "--markdown", server=scripted)
    assert "> Unverified: paragraph(s) 1, 2" in markdown.stdout and "Unverified" not in markdown.stderr

    scripted.default = lambda seen: reply("臺南市政府今天宣布新的交通政策，市長表示將投入經費改善交通。")
    summary = call("-", server=scripted, stdin=path.read_text(encoding="utf-8"))
    assert summary.returncode == 0, summary.stderr
    assert summary.stderr.splitlines()[-1] == "summarize: warning: stdin: Unverified: en came back in the wrong language."


def test_json_and_markdown_exclude_each_other(article):
    result = call(str(article), "--json", "--markdown")
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def test_model_and_base_url_options_beat_the_environment(scripted, article):
    env = {"SUMMARIZE_BASE_URL": "http://127.0.0.1:9/v1", "SUMMARIZE_MODEL": "from-env"}
    result = run(str(article), "--model", "from-option", "--base-url", scripted.base_url, env=env)
    assert result.returncode == 0, result.stderr
    assert scripted.chat_requests[0].body["model"] == "from-option"
    assert not [r for r in scripted.requests if r.path.endswith("/models")]  # a named model needs no lookup


def test_preset_option_shapes_the_request(scripted, article):
    result = run(str(article), "--preset", "vllm", "--model", "Qwen/Qwen3-8B", server=scripted)
    assert result.returncode == 0, result.stderr
    body = scripted.chat_requests[0].body
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["max_tokens"] == 242  # a default-length summary's limit, not SUMMARIZE_OUTPUT_TOKENS


def test_concurrency_caps_requests_in_flight_across_files(tmp_path):
    files = []
    for i in range(6):
        path = tmp_path / f"a{i}.txt"
        path.write_text(f"第{i}篇。{ARTICLE}", encoding="utf-8")
        files.append(str(path))
    with ScriptedServer(default=lambda seen: reply("A scripted summary."), latency=0.3) as server:
        result = run(*files, "--concurrency", "3", server=server)
    assert result.returncode == 0, result.stderr
    assert server.peak_in_flight == 3  # not one at a time, and never more than asked (a wall-time
    assert len(server.chat_requests) == 6  # bound here failed on a loaded machine)
    # Each result prints as it finishes (issue 12), so the order is the order they finished in.
    assert sorted(line for line in result.stdout.splitlines() if line.startswith("==>")) == [f"==> {f} <==" for f in files]


def test_concurrency_must_be_positive(article):
    result = call(str(article), "--concurrency", "0")
    assert result.returncode == 2
    assert "expected a positive integer, got '0'" in result.stderr


def test_dry_run_of_a_few_parts_says_their_notes_are_the_summary(scripted):
    article = SAMPLE.read_text(encoding="utf-8") * 7
    result = run("-", "--dry-run", server=scripted, stdin=article, env={"SUMMARIZE_CONTEXT_TOKENS": "4096"})
    assert result.returncode == 0, result.stderr
    assert scripted.requests == []
    assert "-: 3 chunk(s)" in result.stdout
    assert "requests: 3 (3 map, the notes joined are the summary); prompt tokens: " in result.stdout
    plan_tokens = int(result.stdout.rsplit("prompt tokens: ", 1)[1])

    # A real run sends exactly those three map requests, and its summary is their notes.
    from summarize import Settings, summarize_article
    from summarize.budget import prompt_overhead
    from summarize.tokens import tokenizer_for

    scripted.default = lambda seen: Step.reply(f"Notes on part {seen.task_text.split('is part ')[1].split(' ')[0]}.")
    summary = summarize_article(
        article, settings=Settings(base_url=scripted.base_url, model="scripted", context_tokens=4096, cache=False)
    )
    assert [r.kind for r in scripted.chat_requests] == ["map"] * 3
    assert summary.text == "Notes on part 1.\n\nNotes on part 2.\n\nNotes on part 3."
    assert sum(prompt_overhead(r.messages, tokenizer_for("scripted")) for r in scripted.chat_requests) == plan_tokens


def test_dry_run_sends_nothing_and_explains_the_tokenizer(scripted):
    long_article = SAMPLE.read_text(encoding="utf-8") * 12
    result = run("-", "--dry-run", server=scripted, stdin=long_article, env={"SUMMARIZE_CONTEXT_TOKENS": "4096"})
    assert result.returncode == 0, result.stderr
    assert scripted.requests == []  # not even GET /models
    out = result.stdout
    assert "tokenizer: conservative: no model is set and a dry run does not ask /models" in out
    assert "method: abstractive, since no model is set" in out  # a small model's run would differ: said
    chunk_line = next(line for line in out.splitlines() if line.startswith("-: "))
    sizes = [int(n) for n in chunk_line.split("[")[1].rstrip("]").split(", ")]
    budget = int(chunk_line.split("at most ")[1].split(" ")[0])
    assert len(sizes) > 1 and max(sizes) <= budget
    assert f"-: {len(sizes)} chunk(s)" in chunk_line
    assert f"requests: {len(sizes) + 1} ({len(sizes)} map + 0 merge + 1 final); prompt tokens: " in out  # no merge
    map_tokens, total = (
        int(n) for n in re.search(r"prompt tokens: (\d+) in map requests, at most (\d+) in all", out).groups()
    )
    assert sum(sizes) < map_tokens < total
    assert "(the upper bounds assume every note runs to its token limit)" in out

    # A real run with short notes sends the fewest requests the plan foresaw, maps exactly as counted.
    from summarize import Settings, summarize_article
    from summarize.budget import prompt_overhead
    from summarize.tokens import tokenizer_for

    summarize_article(
        long_article, settings=Settings(base_url=scripted.base_url, model="scripted", context_tokens=4096, cache=False)
    )
    parts = len(sizes)
    maps = [r for r in scripted.chat_requests if r.kind == "map" and f"of {parts} " in r.task_text]
    assert len(maps) == parts and len(scripted.chat_requests) == parts + 1
    assert sum(prompt_overhead(r.messages, tokenizer_for("scripted")) for r in maps) == map_tokens


def test_dry_run_of_a_book_shows_a_few_chunk_sizes_and_their_range(scripted):
    # A 1.7-million-character text printed 439 sizes on one line of 3,000 characters.
    book = SAMPLE.read_text(encoding="utf-8") * 200
    result = run("-", "--dry-run", server=scripted, stdin=book, env={"SUMMARIZE_CONTEXT_TOKENS": "4096"})
    assert result.returncode == 0, result.stderr
    chunk_line = next(line for line in result.stdout.splitlines() if line.startswith("-: "))
    listed = run("-", "--dry-run", "--json", server=scripted, stdin=book, env={"SUMMARIZE_CONTEXT_TOKENS": "4096"})
    sizes = json.loads(listed.stdout)["chunks"]
    assert len(sizes) > cli.SIZES_SHOWN and len(chunk_line) < 200
    shown = ", ".join(map(str, sizes[: cli.SIZES_SHOWN - 2]))
    assert chunk_line.endswith(
        f"[{shown}, ..., {sizes[-1]}] ({len(sizes)} sizes from {min(sizes):,} to {max(sizes):,}; --json lists each)"
    )


@pytest.mark.parametrize("count", [1, cli.SIZES_SHOWN])
def test_a_dry_run_lists_every_size_of_a_short_plan(count):
    assert cli.chunk_sizes(list(range(100, 100 + count))) == "[" + ", ".join(str(100 + i) for i in range(count)) + "]"


def test_dry_run_with_a_model_counts_with_its_tokenizer(scripted, article):
    result = call(str(article), "--dry-run", "--model", "qwen3-8b", "--json", server=scripted)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["tokenizer"] == "qwen" and plan["tokenizer_reason"] == "qwen (auto, for model qwen3-8b)"
    assert plan["requests"] == 1 and len(plan["chunks"]) == 1
    assert plan["prompt_tokens"] > plan["chunks"][0] > 0
    assert scripted.requests == []


def test_dry_run_of_a_small_model_plans_its_key_sentences_and_method_flag_overrides(scripted, article):
    result = call(str(article), "--dry-run", "--model", "qwen2.5:1.5b", server=scripted)
    assert result.returncode == 0, result.stderr
    assert re.search(r": key sentences: \d+ of \d+ sentences, \d+ tokens\n  requests: 1 \(their translation\)", result.stdout)
    assert "method: abstractive, since" not in result.stdout
    result = call(str(article), "--dry-run", "--model", "qwen2.5:1.5b", "--method", "abstractive", "--json", server=scripted)
    assert json.loads(result.stdout)["method"] == "abstractive"
    assert json.loads(result.stdout)["method_reason"] == ""
    assert scripted.requests == []


def test_dry_run_says_why_an_article_not_in_chinese_is_not_sent_as_key_sentences(scripted, tmp_path):
    article = tmp_path / "council.txt"
    article.write_text("The council approved a park budget of 3.2 million dollars.\n\nThe mayor spoke.\n", encoding="utf-8")
    result = call(str(article), "--dry-run", "--model", "qwen2.5:1.5b", server=scripted)
    assert result.returncode == 0, result.stderr
    assert f"{article}: the article is not written in Chinese (0% of its letters" in result.stdout
    assert "requests: 1 (1 summary)" in result.stdout and "key sentences:" not in result.stdout
    assert scripted.requests == []


def test_dry_run_translate_foresees_the_requests_a_real_run_sends(scripted):
    import fake_translator

    from summarize import Settings, translate_article
    from summarize.budget import prompt_overhead
    from summarize.tokens import tokenizer_for

    seed = corpus_text(SEED.name)
    result = call("-", "--dry-run", "--translate", "--json", "--model", "qwen3-8b", server=scripted, stdin=seed)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert scripted.requests == []
    assert len(plan["chunks"]) > 1 and max(plan["chunks"]) <= plan["chunk_budget"]

    scripted.default = fake_translator.translator()
    translate_article(seed, settings=Settings(base_url=scripted.base_url, model="qwen3-8b", cache=False))
    sent = scripted.chat_requests
    assert plan["requests"] == len(sent) == len(plan["chunks"]) + 1  # one name-extraction request
    counter = tokenizer_for("qwen3-8b")
    assert plan["prompt_tokens"] == sum(prompt_overhead(r.messages, counter) for r in sent)


def test_a_second_identical_run_is_answered_by_the_cache(scripted, article):
    cache = {"SUMMARIZE_CACHE": "1"}
    first = run(str(article), "--json", server=scripted, env=cache)
    second = run(str(article), "--json", server=scripted, env=cache)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert len(scripted.chat_requests) == 1
    # The usage differs: the second run sent nothing (issue 12, item 21).
    strip = lambda out: {k: v for k, v in json.loads(out).items() if k not in ("elapsed", "usage")}  # noqa: E731
    assert strip(second.stdout) == strip(first.stdout)
    assert json.loads(second.stdout)["usage"]["requests"] == 0 and json.loads(first.stdout)["usage"]["requests"] == 1
    assert list((Path(os.environ["XDG_CACHE_HOME"]) / "summarize" / "responses").rglob("*.json"))

    third = run(str(article), "--no-cache", server=scripted, env=cache)
    assert third.returncode == 0 and len(scripted.chat_requests) == 2


def test_progress_shows_on_a_terminal_unless_quiet(scripted, tmp_path):
    files = []
    for i in range(2):
        path = tmp_path / f"p{i}.txt"
        path.write_text(f"第{i}篇。{ARTICLE}", encoding="utf-8")
        files.append(str(path))

    def stderr_on_a_tty(*extra: str) -> str:
        master, slave = pty.openpty()
        # A real terminal has a size; a new pty has 0 columns, and tqdm would draw an empty bar.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        env = dict(os.environ, SUMMARIZE_BASE_URL=scripted.base_url)
        proc = subprocess.Popen(
            [str(CLI), *files, *extra], stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL, env=env
        )
        os.close(slave)
        chunks = []
        while True:
            ready, _, _ = select.select([master], [], [], 20)
            if not ready:
                break
            try:
                data = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=20)
        os.close(master)
        assert proc.returncode == 0
        return b"".join(chunks).decode("utf-8", "replace")

    drawn = stderr_on_a_tty()
    assert "0/2 [" in drawn and "article/s" in drawn and "replies=1" in drawn
    assert stderr_on_a_tty("-q") == ""


def test_an_unreachable_endpoint_is_one_line_and_exit_1(article):
    result = run(
        str(article),
        env={"SUMMARIZE_BASE_URL": "http://127.0.0.1:9/v1", "SUMMARIZE_MODEL": "m", "SUMMARIZE_MAX_RETRIES": "0"},
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not connect" in lines[0] and "SUMMARIZE_BASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(article):
    result = run(
        str(article),
        "--debug",
        env={"SUMMARIZE_BASE_URL": "http://127.0.0.1:9/v1", "SUMMARIZE_MODEL": "m", "SUMMARIZE_MAX_RETRIES": "0"},
    )
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ConnectionFailedError" in result.stderr


def test_debug_logs_never_show_the_key_even_when_the_server_echoes_it(scripted, article):
    key = "sk-SECRETKEY123"

    def echo_the_key(seen):
        auth = next(v for k, v in seen.headers.items() if k.lower() == "authorization")
        return Step.error(401, {"error": {"message": "bad key"}}, headers={"WWW-Authenticate": auth, "X-Key": key})

    scripted.default = echo_the_key
    result = run(str(article), "--debug", server=scripted, env={"SUMMARIZE_API_KEY": key, "SUMMARIZE_MAX_RETRIES": "0"})
    assert result.returncode == 1
    assert "receive_response_headers" in result.stderr  # the header log is there
    assert key not in result.stderr and "SECRETKEY" not in result.stderr
    assert "b'Bearer [redacted]'" in result.stderr and "b'X-Key', b'[redacted]'" in result.stderr


@pytest.mark.parametrize(
    "args, env, code, last",
    [
        (("nope.txt",), {}, 2, "summarize: error: nope.txt: no such file"),
        (("{article}",), {"SUMMARIZE_CONCURRENCY": "-1"}, 2, "summarize: error: SUMMARIZE_CONCURRENCY must be"),
        (("batch", "nowhere", "--out", "o"), {}, 2, "summarize batch: error: no files match 'nowhere'"),
    ],
    ids=["missing-file", "bad-variable", "missing-folder"],
)
def test_debug_adds_the_traceback_and_keeps_the_message_and_exit_status(article, args, env, code, last):
    args = tuple(a.format(article=article) for a in args)
    plain = call(*args, env=env)
    debug = call("--debug", *args, env=env)
    assert debug.returncode == plain.returncode and (code is None or plain.returncode == code)
    assert "Traceback (most recent call last)" in debug.stderr and "Traceback" not in plain.stderr
    assert plain.stderr.strip().startswith(last)
    assert debug.stderr.strip().splitlines()[-1] == plain.stderr.strip()


def test_global_options_may_come_before_the_command(scripted, tmp_path):
    doctor = call("-q", "doctor", server=scripted)
    assert doctor.stdout.startswith("[ok  ] settings:"), doctor.stderr
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    batch = call("--no-cache", "-q", "batch", str(folder), "--out", str(tmp_path / "out"), server=scripted)
    assert batch.returncode == 0 and "1 done" in batch.stderr, batch.stderr
    model = call("--model", "named", "doctor", server=scripted)
    assert "model (ask /models)" not in model.stdout and "named" in model.stdout


@pytest.mark.parametrize("extra", [(), ("--dry-run",), ("doctor",)], ids=["run", "dry-run", "doctor"])
def test_a_closed_stdout_is_one_clear_line_and_exit_2_before_anything_is_sent(scripted, article, extra):
    args = ["doctor"] if extra == ("doctor",) else [str(article), *extra]
    environ = {**os.environ, "SUMMARIZE_BASE_URL": scripted.base_url}
    result = subprocess.run(
        ["sh", "-c", '"$0" "$@" >&-', str(CLI), *args], capture_output=True, text=True, env=environ, timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "error: stdout is closed, so nothing could be printed: redirect it to a file or /dev/null instead of closing it"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert scripted.requests == []


@pytest.mark.parametrize("files", [["-"], ["{article}", "-"], []], ids=["dash", "file-and-dash", "no-file"])
def test_a_closed_stdin_is_one_clear_line_and_exit_2_before_anything_is_sent(scripted, article, files):
    # With - it was "internal error: AttributeError: 'NoneType' object has no attribute 'read'", exit 1.
    environ = {**os.environ, "SUMMARIZE_BASE_URL": scripted.base_url}
    args = [f.format(article=article) for f in files]
    result = subprocess.run(
        ["sh", "-c", '"$0" "$@" <&-', str(CLI), *args], capture_output=True, text=True, env=environ, timeout=30
    )
    assert result.returncode == 2, result.stderr
    says = "stdin (-) is closed: pipe an article into it, or give FILEs" if files else "give one or more FILEs"
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert scripted.requests == []


def test_file_names_print_with_their_control_characters_escaped(scripted, tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    escape, newline = folder / "e\x1b]0;PWNED\x07.txt", folder / "x\n# injected.txt"
    for path in (escape, newline):
        path.write_text(ARTICLE, encoding="utf-8")
    headers = call(str(escape), str(newline), server=scripted)
    assert headers.returncode == 0, headers.stderr
    assert f"==> {folder}/e\\x1b]0;PWNED\\x07.txt <==\n" in headers.stdout
    assert f"==> {folder}/x\\n# injected.txt <==\n" in headers.stdout
    markdown = call(str(newline), "--markdown", server=scripted)
    assert markdown.stdout.startswith("# x\\n# injected.txt\n\n## Summary (English)")
    dry = call(str(escape), "--dry-run", server=scripted)
    assert f"{folder}/e\\x1b]0;PWNED\\x07.txt: 1 chunk(s)" in dry.stdout
    out = tmp_path / "out"
    batch = call("batch", str(folder), "--out", str(out), "--format", "md", server=scripted)
    assert batch.returncode == 0, batch.stderr
    assert (out / "x\n# injected.md").read_text(encoding="utf-8").startswith("# x\\n# injected.txt\n\n## Summary")
    for result in (headers, markdown, dry, batch):
        assert "\x1b" not in result.stdout + result.stderr and "\n# injected" not in result.stdout


@pytest.mark.parametrize(
    "args, stdin, says",
    [
        ((), "", "give one or more FILEs, or - to read stdin (nothing was piped in)"),
        (("-",), " \n", "stdin (-) is empty: pipe an article into it, or give FILEs"),
        (("{article}", "{bad}"), "", "{shown}: the file name is not valid UTF-8; rename it"),
        (("batch", "{missing}", "--out", "{out}"), "", "no .txt or .md files under {missing}"),
        (("batch", "{missing}/*.txt", "--out", "{out}"), "", "no files match '{missing}/*.txt'"),
    ],
    ids=["no-file-empty-stdin", "dash-empty-stdin", "name-not-utf8", "batch-empty-folder", "batch-glob-no-match"],
)
def test_input_that_is_not_there_is_a_usage_error_before_anything_is_sent(scripted, article, tmp_path, args, stdin, says):
    bad = tmp_path / os.fsdecode(b"n\xb0\xea1.txt")
    try:
        bad.write_text(ARTICLE, encoding="utf-8")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    (tmp_path / "empty").mkdir()
    names = {"article": article, "bad": bad, "shown": tmp_path / "n\\udcb0\\udcea1.txt", "missing": tmp_path / "empty",
             "out": tmp_path / "out"}
    result = call(*(a.format(**names) for a in args), server=scripted, stdin=stdin)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says.format(**names) in result.stderr
    assert scripted.requests == []


def test_a_bad_environment_variable_is_a_usage_error(article):
    result = call(str(article), env={"SUMMARIZE_CONCURRENCY": "abc"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "summarize: error: SUMMARIZE_CONCURRENCY must be a positive integer, e.g. 4, got 'abc'"
    )


def test_no_file_is_a_usage_error():
    result = call()
    assert result.returncode == 2
    assert "give one or more FILEs, or - to read stdin" in result.stderr


def test_a_missing_file_stops_the_run_before_anything_is_sent(scripted, article, tmp_path):
    # A missing file is found before anything is sent (issue 12): exit 2, no summary of the others.
    result = call(str(tmp_path / "missing.txt"), str(article), server=scripted)
    assert result.returncode == 2
    assert result.stdout == "" and scripted.requests == []
    assert result.stderr == f"summarize: error: {tmp_path / 'missing.txt'}: no such file\n"



def test_a_symlink_loop_or_a_broken_symlink_says_so_rather_than_no_such_file(scripted, tmp_path):
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    (tmp_path / "gone").symlink_to(tmp_path / "nothing.txt")
    loop = call(str(tmp_path / "l1"), server=scripted)
    assert loop.returncode == 2 and loop.stderr == f"summarize: error: {tmp_path / 'l1'}: too many levels of symbolic links\n"
    broken = call(str(tmp_path / "gone"), server=scripted)
    assert broken.returncode == 2
    assert broken.stderr == f"summarize: error: {tmp_path / 'gone'}: no such file (a symlink to a file that is not there)\n"
    assert scripted.requests == []


def test_a_batch_output_of_json_nested_past_the_stack_is_refused_as_not_ours(scripted, tmp_path):
    # It was "internal error: RecursionError", naming no file.
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 2 and scripted.requests == []
    assert f"{out / 'a.json'} is where an article's result goes, but summarize did not write it (not JSON)" in result.stderr


def test_a_dry_run_names_a_tokenizer_setting_as_it_was_given(article):
    # It said tokenizer='cl100k_base', a Python argument, where the run said SUMMARIZE_TOKENIZER.
    result = call("--dry-run", str(article), env={"SUMMARIZE_TOKENIZER": "cl100k_base", "TIKTOKEN_CACHE_DIR": "/nonexistent"})
    assert result.returncode == 2
    assert result.stderr.startswith("summarize: error: SUMMARIZE_TOKENIZER='cl100k_base' is a tiktoken encoding"), result.stderr


def test_a_batch_whose_every_article_failed_on_a_setting_exits_2_as_a_file_run_does(scripted, tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    env = {"SUMMARIZE_OUTPUT_TOKENS": "40"}
    single = call(str(folder / "a.txt"), server=scripted, env=env)
    batch = call("batch", str(folder), "--out", str(tmp_path / "out"), server=scripted, env=env)
    assert single.returncode == batch.returncode == 2, (single.stderr, batch.stderr)
    assert "caps every reply below what a summary of 150 words asks for" in batch.stderr


@pytest.mark.parametrize(
    "data, says",
    [
        (b"", "{name} is empty: give a file that holds an article"),
        (b" \n\n", "{name} is empty: give a file that holds an article"),
        (ARTICLE.encode("big5"), "{name} is not UTF-8 text (invalid start byte at byte 0); convert it first, "
                                 "e.g. iconv -f BIG5 -t UTF-8 (Big5 is common for Traditional Chinese)"),
        (ARTICLE.encode("utf-16"), "{name} is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8; "
                                   "convert it first, e.g. iconv -f UTF-16 -t UTF-8"),
        # Without a byte-order mark it was "invalid start byte at byte 0 ... iconv -f BIG5".
        (f"{ARTICLE}\n2024\n".encode("utf-16-le"), "{name} looks like UTF-16LE text without a byte-order mark (a NUL "
                                                  "byte beside each ASCII character), not UTF-8; convert it first, "
                                                  "e.g. iconv -f UTF-16LE -t UTF-8"),
        ("Tainan adds three canal boat routes.\n".encode("utf-16-be"), "{name} looks like UTF-16BE text without"),
        # It failed at run time (exit 1, "no text once ... removed"), where an empty file is a usage error.
        (b"\0" * 4096, "{name} holds only NUL bytes, no text: give a file that holds an article"),
        # A picture or an archive was told to convert from Big5.
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "{name} is a PNG image, not text"),
        (b"\x1f\x8b\x08\0\0\0\0\0", "{name} is gzip-compressed (e.g. gunzip -c FILE), not text"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "{name} is a PDF (extract its text first, e.g. pdftotext FILE), not text"),
    ],
    ids=["empty", "blank", "big5", "utf16", "utf16le-no-bom", "utf16be-ascii-no-bom", "nul-only", "png", "gzip", "pdf"],
)
def test_a_file_and_stdin_with_the_same_bad_bytes_are_the_same_usage_error(scripted, tmp_path, data, says):
    # As a FILE they failed at run time (exit 1, "big5.txt: big5.txt is not ...", UTF-16 called
    # Big5); the same bytes on stdin were a usage error (exit 2).
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    as_file = run(str(path), server=scripted)
    assert as_file.returncode == 2 and as_file.stderr.startswith(f"summarize: error: {says.format(name=path)}")
    assert as_file.stderr.count("\n") == 1
    piped = raw_run("-", server=scripted, data=data, env={})
    assert piped.returncode == 2
    if data.strip():
        assert piped.stderr.decode().startswith(f"summarize: error: {says.format(name='stdin')}")
    assert scripted.requests == []


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_a_file_and_stdin_with_the_same_windows_newlines_send_the_same_request(scripted, tmp_path, newline):
    # One decoding for both (text.read_article): a Notepad article piped in is the article
    # of the same file, so a cached summary of one answers the other.
    data = ("第一段。" + ARTICLE + newline + newline + "第二段。" + ARTICLE + newline).encode()
    path = tmp_path / "windows.txt"
    path.write_bytes(data)
    assert run(str(path), server=scripted).returncode == 0
    assert raw_run("-", server=scripted, data=data, env={}).returncode == 0
    as_file, piped = scripted.chat_requests
    assert "\r" not in piped.user_text
    assert piped.body == as_file.body


# -- batch ---------------------------------------------------------------------------------


def _folder(tmp_path: Path, count: int, broken: int | None = None) -> Path:
    folder = tmp_path / "news"
    (folder / "sub").mkdir(parents=True)
    for i in range(count):
        target = folder / ("sub" if i % 2 else "") / f"n{i:02d}.txt"
        target.write_text(("BROKEN" if i == broken else "") + f"第{i}則新聞。{ARTICLE}", encoding="utf-8")
    return folder


def _fail_broken(seen):
    if "BROKEN" in seen.user_text:
        return Step.error(400, {"error": {"message": "this article is refused", "type": "invalid_request_error"}})
    return reply("Summary of " + re.search(r"第\d+則", seen.user_text).group(0))


def test_batch_writes_results_continues_past_failures_and_lists_them(scripted, tmp_path):
    folder = _folder(tmp_path, 4, broken=2)
    out = tmp_path / "out"
    scripted.default = _fail_broken
    result = run("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 1
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "n00.json",
        "n00.md",
        "sub/n01.json",
        "sub/n01.md",
        "sub/n03.json",
        "sub/n03.md",
    ]
    record = json.loads((out / "sub" / "n01.json").read_text(encoding="utf-8"))
    assert record["summary"] == "Summary of 第1則" and record["file"].endswith("n01.txt")
    assert (
        (out / "n00.md").read_text(encoding="utf-8").startswith("# n00.txt\n\n## Summary (English)\n\nSummary of 第0則")
    )
    assert "3 done, 0 already done, 1 failed" in result.stderr
    assert f"failed: {folder / 'n02.txt'}: the endpoint rejected the request" in result.stderr

    # Again: the finished articles are skipped, only the failed one is tried.
    scripted.default = lambda seen: reply("Fixed.")
    again = call("batch", str(folder), "--out", str(out), server=scripted)
    assert again.returncode == 0, again.stderr
    assert "1 done, 3 already done, 0 failed" in again.stderr
    assert len(scripted.chat_requests) == 5
    assert json.loads((out / "n02.json").read_text(encoding="utf-8"))["summary"] == "Fixed."


def test_batch_takes_a_glob_one_format_and_translate(scripted, tmp_path):
    import fake_translator

    folder = _folder(tmp_path, 3)
    out = tmp_path / "out"
    scripted.default = fake_translator.translator()
    result = run(
        "batch", str(folder / "**" / "*.txt"), "--out", str(out), "--format", "json", "--translate", server=scripted
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "n00.json",
        "n02.json",
        "sub/n01.json",
    ]
    record = json.loads((out / "sub" / "n01.json").read_text(encoding="utf-8"))
    source = (folder / "sub" / "n01.txt").read_text(encoding="utf-8")
    assert record["pairs"] == [[source, fake_translator.english(source)]]


@pytest.mark.parametrize("formats", ["md,json", "md"])
def test_batch_redo_flagged_takes_up_only_the_flagged_articles(scripted, tmp_path, formats):
    folder = _folder(tmp_path, 3)
    out = tmp_path / "out"

    def weak(seen):  # answers n01 in Chinese (flagged unverified after its one retry), the rest in English
        number = re.search(r"第(\d+)則", seen.user_text).group(1)
        return reply("第一則新聞的摘要。" if number == "1" else f"Summary of article {number}.")

    scripted.default = weak
    first = call("batch", str(folder), "--out", str(out), "--format", formats, server=scripted)
    assert first.returncode == 0, first.stderr
    assert "> Unverified: en" in (out / "sub" / "n01.md").read_text(encoding="utf-8")

    scripted.default = lambda seen: reply("A better summary.")
    plain = call("batch", str(folder), "--out", str(out), "--format", formats, server=scripted)
    assert "0 done, 3 already done" in plain.stderr  # without the option, flagged outputs count as done
    sent = len(scripted.chat_requests)
    again = run("batch", str(folder), "--out", str(out), "--format", formats, "--redo-flagged", server=scripted)
    assert again.returncode == 0, again.stderr
    assert "1 done, 2 already done, 0 failed" in again.stderr
    assert len(scripted.chat_requests) == sent + 1
    redone = (out / "sub" / "n01.md").read_text(encoding="utf-8")
    assert "A better summary." in redone and "> Unverified" not in redone
    assert "Summary of article 0." in (out / "n00.md").read_text(encoding="utf-8")  # left as it was


def test_batch_resumes_from_the_cache_after_an_interruption(scripted, tmp_path):
    folder = _folder(tmp_path, 3)
    out = tmp_path / "out"
    env = {"SUMMARIZE_CACHE": "1"}
    assert call("batch", str(folder), "--out", str(out), server=scripted, env=env).returncode == 0
    (out / "sub" / "n01.md").unlink()  # as if interrupted before this article's results were written
    again = call("batch", str(folder), "--out", str(out), server=scripted, env=env)
    assert again.returncode == 0, again.stderr
    assert "1 done, 2 already done" in again.stderr
    assert len(scripted.chat_requests) == 3  # the replies came from the cache
    assert (out / "sub" / "n01.md").is_file()


def test_two_batches_on_the_same_folder_at_once(tmp_path):
    folder = _folder(tmp_path, 8)
    out = tmp_path / "out"
    # Slow enough that both runs are asking at once, whichever starts first.
    with ScriptedServer(default=lambda seen: reply("A scripted summary."), latency=0.5) as server:
        environ = dict(os.environ, SUMMARIZE_BASE_URL=server.base_url, SUMMARIZE_CACHE="1")
        procs = [
            subprocess.Popen(
                [str(CLI), "batch", str(folder), "--out", str(out)],
                env=environ,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [p.communicate(timeout=30) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert len(list(out.rglob("*.json"))) == 8
    for path in out.rglob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["summary"] == "A scripted summary."
    # Each article asked once: the run that found another asking the same waited for its reply.
    assert len(server.chat_requests) == 8
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "summarize" / "responses"
    files = list(cache.rglob("*"))
    assert not [p for p in files if p.name.startswith(".tmp-")]
    assert len([p for p in files if p.suffix == ".json"]) == 8


def test_batch_with_nothing_to_do_says_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = call("batch", str(empty), "--out", str(tmp_path / "out"))
    assert result.returncode == 2  # as a FILE that is not there
    assert result.stderr.strip() == (
        f"summarize batch: error: no .txt or .md files under {empty}: give a folder of articles or a glob such as 'news/*.txt'"
    )


def test_batch_needs_out():
    result = call("batch", "news")
    assert result.returncode == 2
    assert "the following arguments are required: --out" in result.stderr


# -- doctor --------------------------------------------------------------------------------


def _llamacpp_like(seen):
    if seen.path == "/props":
        return Step(body={"default_generation_settings": {"n_ctx": 4096}})
    return reply("OK")


def test_doctor_reports_a_ready_endpoint_and_the_context_mismatch(tmp_path):
    with ScriptedServer(default=_llamacpp_like) as server:
        result = run("doctor", server=server)
        paths = [r.path for r in server.requests]
    assert result.returncode == 1  # 8192 assumed, 4096 served
    out = result.stdout
    assert "[ok  ] reachable: GET /models lists 1 model(s): scripted" in out
    assert "[ok  ] model: using the only model listed: scripted" in out
    assert "[ok  ] completion: answered 'OK'" in out
    assert "[ok  ] thinking: no reasoning came back" in out
    assert "[FAIL] context: the server's context is 4096 (llama.cpp /props n_ctx) but summarize assumes 8192" in out
    assert "fix: set SUMMARIZE_CONTEXT_TOKENS=4096" in out
    assert paths == ["/v1/models", "/v1/chat/completions", "/props", "/v1/chat/completions"]  # the last: speed

    with ScriptedServer(default=_llamacpp_like) as server:
        fixed = call("doctor", server=server, env={"SUMMARIZE_CONTEXT_TOKENS": "4096"})
    assert fixed.returncode == 0, fixed.stdout
    assert "[ok  ] context: 4096 (llama.cpp /props n_ctx) matches" in fixed.stdout
    assert fixed.stdout.strip().endswith("the endpoint is ready")


@pytest.mark.parametrize(
    "variable, value, said",
    [
        ("SUMMARIZE_TOKENIZER", "cl100k_base", "is a tiktoken encoding whose file is not in tiktoken's cache"),
        ("SUMMARIZE_OUTPUT_TOKENS", "40", "SUMMARIZE_OUTPUT_TOKENS=40 caps every reply below what a summary"),
        ("SUMMARIZE_GLOSSARY", "/nonexistent/names.tsv", "cannot read the glossary '/nonexistent/names.tsv'"),
        ("SUMMARIZE_CHUNK_TOKENS", "5", "SUMMARIZE_CHUNK_TOKENS=5 is too small to summarize in"),
        ("SUMMARIZE_SUMMARY_WORDS", "5000", "caps every reply below what a summary of 5000 words asks for"),
    ],
)
def test_doctor_fails_a_setting_every_run_would_stop_at(variable, value, said):
    # Each was "[ok  ] settings ... the endpoint is ready", exit 0, and every run then failed with exit 2.
    with ScriptedServer(default=lambda seen: reply("OK")) as server:
        result = call("doctor", server=server, env={variable: value, "TIKTOKEN_CACHE_DIR": "/nonexistent"})
    assert result.returncode == 1, result.stdout
    assert "[FAIL] plan: " in result.stdout and said in result.stdout, result.stdout
    assert "the endpoint is ready" not in result.stdout


def test_doctor_plans_a_short_article_as_a_run_would():
    with ScriptedServer(default=lambda seen: reply("OK")) as server:
        result = call("doctor", server=server)
    assert result.returncode == 0, result.stdout
    assert "[ok  ] plan: a short article plans as 1 request(s); tokens counted with conservative (auto, for model scripted)" in result.stdout


def test_doctor_warns_when_the_model_thinks():
    thinking = lambda seen: Step(body=completion("OK", usage=USAGE, reasoning_content="The user wants OK. " * 5))  # noqa: E731
    with ScriptedServer(default=thinking) as server:
        result = call("doctor", server=server)
    assert result.returncode == 0
    assert "[warn] thinking: the model thinks (95 characters of reasoning came back)" in result.stdout
    assert "fix: pass --preset" in result.stdout


def test_doctor_reads_vllm_max_model_len():
    with ScriptedServer(
        default=lambda seen: reply("OK"), models=[{"id": "scripted", "object": "model", "max_model_len": 32768}]
    ) as server:
        result = call("doctor", "--preset", "vllm", server=server)
    assert result.returncode == 0
    assert "[warn] context: the server's context is 32768 (vLLM /models max_model_len)" in result.stdout


def test_doctor_reads_ollama_api_show():
    def ollama(seen):
        if seen.path == "/api/show":
            assert seen.body == {"model": "qwen3:8b"}
            return Step(
                body={"parameters": "num_ctx 8192\ntemperature 0.6", "model_info": {"qwen3.context_length": 40960}}
            )
        if seen.path == "/props":
            return Step(status=404, body={"error": "not found"})
        return reply("OK")

    with ScriptedServer(default=ollama, models=["qwen3:8b"]) as server:
        result = call("doctor", "--preset", "ollama", server=server)
    assert "[ok  ] settings: base URL" in result.stdout and "preset ollama, context 4096" in result.stdout
    assert "[warn] context: the server's context is 8192 (Ollama /api/show num_ctx)" in result.stdout
    assert result.returncode == 0


def test_doctor_says_what_to_fix_when_nothing_answers():
    result = call("doctor", env={"SUMMARIZE_BASE_URL": "http://127.0.0.1:9/v1"})
    assert result.returncode == 1
    assert "[FAIL] reachable: cannot reach http://127.0.0.1:9/v1/models" in result.stdout
    assert (
        "fix: start the server, or set SUMMARIZE_BASE_URL / --base-url (or --preset) to where it runs" in result.stdout
    )


def test_batch_never_takes_its_own_results_for_articles(scripted, tmp_path):
    # An --out inside the folder read is refused before anything is sent (issue 12), where it was
    # once accepted and its results filtered out of the articles.
    folder = _folder(tmp_path, 2)
    first = call("batch", str(folder), "--out", str(folder / "summaries"), server=scripted)
    assert first.returncode == 2 and "is inside the folder the batch reads" in first.stderr
    assert scripted.requests == [] and not (folder / "summaries").exists()
    beside = call("batch", str(folder), "--out", str(tmp_path / "summaries"), server=scripted)
    again = call("batch", str(folder), "--out", str(tmp_path / "summaries"), server=scripted)
    assert beside.returncode == 0 and "2 done, 0 already done" in beside.stderr
    assert again.returncode == 0 and "0 done, 2 already done, 0 failed" in again.stderr
    assert len(scripted.chat_requests) == 2


def interruptible() -> None:
    """``preexec_fn`` for a CLI these tests interrupt: SIGINT as at a terminal. A test run that a
    shell without job control started in the background (``bash .ci/run &``) inherits SIGINT
    ignored, and Python keeps an ignored SIGINT ignored, so the interrupt would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_an_interrupted_batch_resumes_with_the_cache(tmp_path):
    folder = _folder(tmp_path, 6)
    out = tmp_path / "out"
    with ScriptedServer(default=lambda seen: reply("A scripted summary."), latency=0.4) as server:
        environ = dict(os.environ, SUMMARIZE_BASE_URL=server.base_url, SUMMARIZE_CACHE="1")
        command = [str(CLI), "batch", str(folder), "--out", str(out), "--concurrency", "2"]
        proc = subprocess.Popen(
            command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible
        )
        deadline = time.monotonic() + 20
        while len(list(out.rglob("*.md"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
        assert proc.returncode == 130, stderr
        assert "interrupted; run it again to resume" in stderr and "Traceback" not in stderr
        finished = len(list(out.rglob("*.md")))
        first_run = len(server.chat_requests)
        assert 2 <= finished < 6

        again = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=30)
    assert again.returncode == 0, again.stderr
    assert f"{6 - finished} done, {finished} already done, 0 failed" in again.stderr
    assert len(list(out.rglob("*.md"))) == 6
    # Finished articles are not asked for again (replies cut off by the interrupt are).
    assert len(server.chat_requests) - first_run == 6 - finished


@pytest.mark.parametrize(
    "argv, env, says",
    [
        (["{article}"], {"SUMMARIZE_CACHE": "1"}, "run it again to resume (finished replies are cached)"),
        (["--no-cache", "{article}"], {"SUMMARIZE_CACHE": "1"}, "the response cache is off (SUMMARIZE_CACHE=0 or --no-cache), so running it again sends every request again"),
        (["{article}"], {"SUMMARIZE_CACHE": "0"}, "the response cache is off (SUMMARIZE_CACHE=0 or --no-cache), so running it again sends every request again"),
        (["batch", "{folder}", "--out", "{out}"], {"SUMMARIZE_CACHE": "0"}, "run it again to resume: the articles written to --out are skipped, the others are sent again in full (the response cache is off)"),
    ],
)
def test_an_interrupt_says_what_running_again_redoes(article, tmp_path, monkeypatch, argv, env, says):
    # It always said "finished replies are cached", with the cache off too.
    from summarize import batch

    async def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_jobs", interrupted)
    folder = _folder(tmp_path, 1)
    argv = [a.format(article=article, folder=folder, out=tmp_path / "out") for a in argv]
    result = call(*argv, env={"SUMMARIZE_MODEL": "m", **env})
    assert result.returncode == 130
    assert f"summarize: interrupted; {says}" in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "argv, says",
    [
        (["{article}"], "the response cache could not be written (the warning above says why), so running it again sends every request again"),
        (["batch", "{folder}", "--out", "{out}"], "run it again to resume: the articles written to --out are skipped, the others are sent again in full (the response cache could not be written)"),
    ],
)
def test_an_interrupt_does_not_promise_a_cache_that_could_not_be_written(article, tmp_path, monkeypatch, argv, says):
    # SUMMARIZE_CACHE_DIR naming a file: every reply's write failed, with a warning, and Ctrl-C
    # still said "run it again to resume (finished replies are cached)".
    from summarize import batch
    from summarize.cache import ResponseCache

    (tmp_path / "a-file").write_text("x")

    async def interrupted(*args, **kwargs):
        ResponseCache(tmp_path / "a-file").put("ab" * 32, {"text": "paid for"})  # as a finished reply is
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_jobs", interrupted)
    folder = _folder(tmp_path, 1)
    argv = [a.format(article=article, folder=folder, out=tmp_path / "out") for a in argv]
    result = call(*argv, env={"SUMMARIZE_MODEL": "m", "SUMMARIZE_CACHE": "1", "SUMMARIZE_CACHE_DIR": str(tmp_path / "a-file")})
    assert result.returncode == 130
    assert f"summarize: interrupted; {says}" in result.stderr, result.stderr


def test_with_stderr_closed_results_stay_alone_on_stdout(scripted, article, tmp_path):
    # Started with 2>&- (a cron line), the progress line's isatty() crashed every run, and every
    # warning and error was printed to stdout among the results.
    environ = {**os.environ, "SUMMARIZE_BASE_URL": scripted.base_url, "SUMMARIZE_MODEL": "m", "SUMMARIZE_CACHE": "0"}

    def closed(*args: str) -> subprocess.CompletedProcess:
        command = " ".join(shlex.quote(a) for a in (str(CLI), *args))
        return subprocess.run(["bash", "-c", f"{command} 2>&-"], capture_output=True, text=True, env=environ, timeout=30)

    result = closed("--json", str(article))
    assert result.returncode == 0 and json.loads(result.stdout)["summary"]
    missing = closed("--json", str(tmp_path / "nosuch.txt"))
    assert missing.returncode == 2 and missing.stdout == ""


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--translate", "--method", "key-sentences"], "--method is not taken with --translate"),
        (["--dry-run", "--markdown"], "--markdown is not taken with --dry-run"),
        (["batch", "{folder}", "--out", "{out}", "--translate", "--method", "abstractive"], "--method is not taken with --translate"),
    ],
)
def test_options_that_would_be_ignored_together_are_usage_errors(article, tmp_path, argv, says):
    # Each was ignored without a word: a translation written as if --method had been heard.
    folder = _folder(tmp_path, 1)
    argv = [a.format(folder=folder, out=tmp_path / "out") for a in argv]
    result = call(*argv, *([] if argv[0] == "batch" else [str(article)]), env={"SUMMARIZE_MODEL": "m"})
    assert result.returncode == 2 and says in result.stderr


def test_a_dry_run_of_a_translation_says_so_in_its_json(article):
    result = call("--dry-run", "--translate", "--json", str(article), env={"SUMMARIZE_MODEL": "m"})
    assert result.returncode == 0 and json.loads(result.stdout)["method"] == "translation"


def test_an_interrupted_doctor_says_to_check_again_not_to_resume(monkeypatch):
    # It said "run it again to resume (finished replies are cached)": doctor caches nothing.
    from summarize import doctor

    async def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(doctor, "diagnose", interrupted)
    result = call("doctor", env={"SUMMARIZE_MODEL": "m", "SUMMARIZE_CACHE": "1"})
    assert result.returncode == 130
    assert "summarize: interrupted; run it again to check again" in result.stderr and "cached" not in result.stderr


def test_an_unexpected_failure_is_still_one_line(article, monkeypatch):
    from summarize import batch

    async def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(batch, "run_jobs", broken)
    result = call(str(article), env={"SUMMARIZE_MODEL": "m"})
    assert result.returncode == 1
    assert result.stderr == (
        "summarize: internal error: RuntimeError: something nobody foresaw (--debug shows the traceback)\n"
    )


def test_json_and_markdown_say_when_a_reply_was_cut_or_in_the_wrong_language(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    cut_chinese = lambda seen: reply("臺南市政府今天宣布擴大公車路網", finish_reason="length")  # noqa: E731
    with ScriptedServer(default=cut_chinese) as server:
        env = {"SUMMARIZE_ON_TRUNCATION": "keep"}
        record = json.loads(run(str(article), "--json", "--no-cache", server=server, env=env).stdout)
        markdown = run(str(article), "--markdown", "--no-cache", server=server, env=env).stdout
    assert record["truncated"] is True and record["unverified"] == ["en"]
    assert "> Cut:" in markdown and "> Unverified: en" in markdown


def test_preset_names_are_case_insensitive_on_the_command_line(article):
    result = call(str(article), "--dry-run", "--preset", "Ollama")
    assert result.returncode == 0, result.stderr
    assert "localhost:11434" in result.stdout


# -- issue 12, item 23: the command line's first hour ---------------------------------------


def test_a_missing_file_is_a_usage_error_before_anything_is_sent(scripted, article, tmp_path):
    result = call(str(article), str(tmp_path / "missing.txt"), server=scripted)
    assert result.returncode == 2
    assert result.stderr == f"summarize: error: {tmp_path / 'missing.txt'}: no such file\n"
    assert scripted.requests == []
    folder = call(str(tmp_path), server=scripted)
    assert folder.returncode == 2
    assert folder.stderr == f"summarize: error: {tmp_path}: is a folder (summarize batch reads folders)\n"


def test_piped_stdin_is_read_when_no_file_is_given(scripted):
    result = run(server=scripted, stdin=ARTICLE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "A scripted summary.\n"
    assert ARTICLE in scripted.chat_requests[0].user_text


def test_each_result_prints_as_it_finishes_so_an_interrupt_keeps_it(tmp_path):
    import threading

    fast, slow = tmp_path / "fast.txt", tmp_path / "slow.txt"
    fast.write_text("快速新聞。" + ARTICLE, encoding="utf-8")
    slow.write_text("緩慢新聞。" + ARTICLE, encoding="utf-8")
    release = threading.Event()

    def answer(seen):
        if "緩慢" in seen.user_text:
            release.wait(20)  # held until the test has seen the fast result
            return reply("Slow summary.")
        return reply("Fast summary.")

    with ScriptedServer(default=answer) as server:
        environ = dict(os.environ, SUMMARIZE_BASE_URL=server.base_url)
        proc = subprocess.Popen(
            [str(CLI), str(slow), str(fast)], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, preexec_fn=interruptible,
        )
        seen = b""
        deadline = time.monotonic() + 20
        while b"Fast summary." not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                seen += chunk
        still_waiting = not release.is_set() and proc.poll() is None
        proc.send_signal(signal.SIGINT)
        rest, stderr = proc.communicate(timeout=20)
        release.set()
    assert still_waiting and b"Fast summary." in seen
    assert (seen + rest).decode() == f"==> {fast} <==\nFast summary.\n\n"
    assert proc.returncode == 130 and b"Traceback" not in stderr


def test_a_closed_pipe_ends_the_run_quietly(scripted, article, tmp_path):
    second = tmp_path / "two.txt"
    second.write_text("高雄港今天創下貨櫃吞吐量新紀錄。", encoding="utf-8")
    environ = dict(os.environ, SUMMARIZE_BASE_URL=scripted.base_url)
    proc = subprocess.Popen(
        [str(CLI), str(article), str(second)], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    proc.stdout.close()  # like `| head -0`: the reader is gone before the first line
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=30)
    assert stderr == ""
    assert proc.returncode == 141  # what a shell reports for a program ended by SIGPIPE


def test_a_closed_pipe_ends_the_run_quietly_while_other_articles_are_in_flight(scripted, article, tmp_path):
    # The first result hit the closed pipe while the others waited on the server: they ran on
    # into the closed shared client, and stderr got 60 lines of asyncio tracebacks.
    slow = []
    for n in range(2):
        path = tmp_path / f"slow{n}.txt"
        path.write_text(f"高雄港今天創下貨櫃吞吐量新紀錄，第{n}則。", encoding="utf-8")
        slow.append(str(path))
    scripted.default = lambda seen: Step.reply(
        "A summary of the port's record.", delay=2.0 if "高雄港" in seen.user_text else 0.0
    )
    environ = dict(os.environ, SUMMARIZE_BASE_URL=scripted.base_url, SUMMARIZE_CACHE="0")
    proc = subprocess.Popen(
        [str(CLI), str(article), *slow], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=30)
    assert stderr == "" and proc.returncode == 141


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a device that is always full")
def test_a_full_disk_under_stdout_is_stdouts_failure_not_the_articles(scripted, article):
    # It was reported as the article's failure: "art.txt: [Errno 28] No space left on device".
    environ = dict(os.environ, SUMMARIZE_BASE_URL=scripted.base_url, SUMMARIZE_CACHE="0")
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(CLI), str(article)], env=environ, stdout=full, stderr=subprocess.PIPE, text=True, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr == "summarize: error: the results could not be written to stdout (No space left on device); the run stopped\n"


def test_help_names_every_command_in_its_usage():
    result = run("--help")
    assert result.returncode == 0
    usage = result.stdout.split("\n\n")[0]
    assert "summarize [options] FILE... | -" in usage
    assert "summarize batch DIR_OR_GLOB --out DIR" in usage and "summarize doctor" in usage
    assert "--json" in result.stdout and "--languages" in result.stdout  # the default command's options
    batch = call("batch", "--help")
    assert batch.returncode == 0 and "--follow-symlinks" in batch.stdout and "--redo-flagged" in batch.stdout


def test_a_configuration_error_is_one_line_and_exit_2(article):
    result = call(str(article), env={"SUMMARIZE_CONCURRENCY": "abc"})
    assert result.returncode == 2
    assert result.stderr == "summarize: error: SUMMARIZE_CONCURRENCY must be a positive integer, e.g. 4, got 'abc'\n"
    several = call("batch", str(article.parent), "--out", str(article.parent.parent / "o"),
                   env={"SUMMARIZE_TIMEOUT": "soon"})
    assert several.returncode == 2 and len(several.stderr.splitlines()) == 1


def test_a_batch_export_refused_before_anything_is_written_is_a_usage_error(tmp_path):
    # As the online batch's refusals are: exit 2, one line, nothing written.
    folder = _folder(tmp_path, 2)
    result = call("batch", "export", str(folder), "--out", str(folder), env={"SUMMARIZE_MODEL": "m"})
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"summarize batch export: error: --out {folder} is inside the folder the batch reads ({folder}), "
        "so its results would be read as articles: choose an --out outside it\n"
    )
    assert not (folder / ".batch").exists()


def test_a_setting_no_article_can_run_under_exits_2_as_a_usage_error(scripted, article):
    # Found only once the model's tokenizer is known, it exited 1 as if the server had failed.
    result = call(str(article), server=scripted, env={"SUMMARIZE_CHUNK_TOKENS": "100000", "SUMMARIZE_METHOD": "abstractive"})
    assert result.returncode == 2, result.stderr
    assert "SUMMARIZE_CHUNK_TOKENS=100000 does not fit the context" in result.stderr
    assert scripted.chat_requests == []


@pytest.mark.parametrize("command", [[], ["batch", "news", "--out", "out"]], ids=["file", "batch"])
def test_translate_into_two_languages_is_a_usage_error_not_a_dropped_language(scripted, command):
    args = [*command, "--translate", "--languages", "en,zh-Hant"] + ([] if command else ["-"])
    result = call(*args, server=scripted, stdin="臺南市政府今天宣布。")
    assert result.returncode == 2 and scripted.requests == []
    assert "--translate writes one language, got --languages en,zh-Hant: give --languages en" in result.stderr


PARTS = "\n".join(f"第{i}項：臺南市政府今天公布第{i}號防災演練報告，共有{i * 7}名市民參加。" for i in range(30))
CHUNKED = {"SUMMARIZE_CHUNK_TOKENS": "300", "SUMMARIZE_METHOD": "abstractive", "SUMMARIZE_MODEL": "m"}


def failing_second_item(seen):
    return Step.error(400, {"error": {"message": "bad request"}}) if "第2項" in seen.fenced else reply("A note.")


def test_a_failed_chunk_is_reported_with_the_commands_advice_not_pythons(scripted):
    # "Pass partial=True to get a summary of the chunks that succeeded" is for a Python caller.
    scripted.default = failing_second_item
    result = call("-", server=scripted, env=CHUNKED, stdin=PARTS)
    assert result.returncode == 1
    assert re.search(
        r"^summarize: -: chunk 1 of \d+ failed: the endpoint rejected the request.*\. Pass --partial to keep what the "
        r"other chunks gave, flagged\.$",
        result.stderr, re.MULTILINE,
    ), result.stderr
    assert "partial=True" not in result.stderr


def test_partial_keeps_the_other_chunks_summary_flagged(scripted):
    scripted.default = failing_second_item
    result = call("-", "--partial", server=scripted, env=CHUNKED, stdin=PARTS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "A note."
    assert "summarize: warning: stdin: Partial: chunks 1 failed and are left out." in result.stderr


def test_partial_translation_keeps_the_other_paragraphs_with_the_failed_ones_empty(scripted):
    from fake_translator import translator

    well = translator()
    scripted.default = lambda seen: (
        Step.error(400, {"error": {"message": "bad request"}}) if "第2項" in seen.fenced else well(seen)
    )
    env = {**CHUNKED, "SUMMARIZE_METHOD": "auto"}
    result = call("-", "--translate", "--partial", "--json", server=scripted, env=env, stdin=PARTS)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    empty = [i for i, pair in enumerate(out["pairs"]) if not pair[1]]
    assert len(out["pairs"]) == 30 and 2 in empty and len(empty) < 30
    assert set(empty) <= set(out["unverified"]), out["unverified"]


def test_a_batch_with_partial_writes_the_partial_result_flagged(scripted, tmp_path):
    scripted.default = failing_second_item
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text(PARTS, encoding="utf-8")
    out = tmp_path / "out"
    result = call("batch", str(tmp_path / "news"), "--out", str(out), "--partial", server=scripted, env=CHUNKED)
    assert result.returncode == 0, result.stderr
    written = json.loads((out / "a.json").read_text(encoding="utf-8"))
    assert written["is_partial"] is True and written["failed_chunks"] == [0]


def test_redo_flagged_asks_a_partial_output_again_and_a_whole_one_replaces_it(scripted, tmp_path):
    # README: --redo-flagged redoes the outputs --partial writes.
    scripted.default = failing_second_item
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text(PARTS, encoding="utf-8")
    out = tmp_path / "out"
    args = ("batch", str(tmp_path / "news"), "--out", str(out), "--partial")
    assert call(*args, server=scripted, env=CHUNKED).returncode == 0
    scripted.default = lambda seen: reply("A note.")
    assert "1 already done" in call(*args, server=scripted, env=CHUNKED).stderr  # not redone unasked
    again = call(*args, "--redo-flagged", server=scripted, env=CHUNKED)
    assert again.returncode == 0, again.stderr
    written = json.loads((out / "a.json").read_text(encoding="utf-8"))
    assert written["is_partial"] is False and written["failed_chunks"] == []


def test_a_batch_job_keeps_partial_from_export_and_its_import_and_status_refuse_it(scripted, tmp_path):
    # Export and submit refused --partial, so a job's article failed whole where the same run
    # online kept the other chunks: the job keeps it now, and import and status follow it.
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text(PARTS, encoding="utf-8")
    job = tmp_path / "job"
    result = call("batch", "export", str(tmp_path / "news"), "--out", str(job), "--partial", server=scripted, env=CHUNKED)
    assert result.returncode == 0, result.stderr
    assert json.loads((job / ".batch" / "job.json").read_text(encoding="utf-8"))["partial"] is True
    for command in (("import", str(job), str(tmp_path / "r.jsonl")), ("status", str(job))):
        refused = call("batch", *command, "--partial", server=scripted)
        assert refused.returncode == 2
        assert f"summarize batch {command[0]}: error: --partial is not taken here: a job keeps the --partial" in refused.stderr


@pytest.mark.parametrize("count, advised", [(1, False), (2, True)])
def test_partial_is_advised_only_when_another_chunk_could_have_succeeded(count, advised):
    from summarize import ChunkFailedError

    err = ChunkFailedError(0, count, RuntimeError("bad request"), what="translation")
    assert str(err).startswith(f"chunk 1 of {count} failed: bad request.")
    assert ("Pass partial=True" in str(err)) is advised is err.keeps_others and "partial" not in err.reason


def test_a_batch_names_the_article_of_each_library_warning(scripted, tmp_path):
    # Articles run at once, and "dropped a sentence whose figure ..." named none: any could be it.
    scripted.default = lambda seen: reply(
        "Tainan will expand its bus network next year, linking the science park and the railway station. "
        "It costs NT$999 million."
    )
    folder = _folder(tmp_path, 2)
    env = {**os.environ, "SUMMARIZE_BASE_URL": scripted.base_url, "SUMMARIZE_MODEL": "m", "SUMMARIZE_CACHE": "0"}
    result = subprocess.run(
        [str(CLI), "batch", str(folder), "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    dropped = [line for line in result.stderr.splitlines() if "dropped a sentence" in line]
    assert dropped, result.stderr
    assert sorted(line.split(": ")[2] for line in dropped) == [str(folder / "n00.txt"), str(folder / "sub" / "n01.txt")], dropped


def test_a_file_given_twice_is_summarized_once(scripted, tmp_path, monkeypatch):
    # py.txt py.txt ./py.txt sent three requests for one article, all at once, and printed three
    # different summaries, two under the same header.
    scripted.default = lambda seen: reply("Tainan will expand its bus network next year.")
    path = tmp_path / "py.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = call("py.txt", "py.txt", "./py.txt", server=scripted, env={"SUMMARIZE_MODEL": "m", "SUMMARIZE_CACHE": "0"})
    assert result.returncode == 0 and len(scripted.chat_requests) == 1
    assert result.stdout.count("Tainan will expand") == 1
    assert "py.txt is given again; it is summarized once" in result.stderr
    assert "./py.txt is py.txt again; it is summarized once" in result.stderr


def test_a_dry_runs_total_is_what_is_planned_not_an_upper_bound(tmp_path):
    # It said "total: at most 2 requests" for runs that took 4-5 on the reference model: a re-ask
    # or a repair request comes on top of the plan.
    folder = _folder(tmp_path, 2)
    result = call("--dry-run", "--model", "Qwen2.5-Coder-1.5B-Instruct", str(folder / "n00.txt"), str(folder / "sub" / "n01.txt"))
    assert result.returncode == 0 and "at most" not in result.stdout
    assert re.search(r"^total: 2 requests and \d+ prompt tokens as planned, before any re-ask or repair$", result.stdout, re.M)


def test_a_batch_dry_run_plans_only_the_articles_still_to_do_and_writes_nothing(scripted, tmp_path):
    folder = _folder(tmp_path, 3)
    (folder / "big5.txt").write_bytes("臺南市".encode("big5"))
    out = tmp_path / "out"
    before = call("batch", str(folder), "--out", str(out), "--dry-run", server=scripted)
    assert before.returncode == 0, before.stderr
    assert not out.exists() and scripted.requests == []  # nothing written, nothing sent, /models included
    assert before.stdout.startswith("0 of 4 article(s) already done, skipped\ndry run: nothing sent to ")
    assert re.search(r"^total: 3 requests and \d+ prompt tokens as planned", before.stdout, re.M)
    # An article the run would fail on is named, and the others are still planned.
    assert re.search(r"^would fail: .*big5\.txt: .*not UTF-8", before.stdout, re.M)

    (folder / "big5.txt").unlink()
    done = call("batch", str(folder), "--out", str(out), server=scripted)
    assert done.returncode == 0, done.stderr
    (folder / "n03.txt").write_text(f"第3則新聞。{ARTICLE}", encoding="utf-8")
    stale = out / output.temp_name()  # an interrupted run's temporary file: a dry run leaves it alone
    stale.write_text("{", encoding="utf-8")
    os.utime(stale, (0, 0))
    sent = len(scripted.requests)
    after = call("batch", str(folder), "--out", str(out), "--dry-run", server=scripted)
    assert after.returncode == 0, after.stderr
    assert after.stdout.startswith("3 of 4 article(s) already done, skipped\n")
    assert "n03.txt: 1 chunk(s)" in after.stdout and "n00.txt" not in after.stdout
    assert len(scripted.requests) == sent and stale.exists()


def test_an_unknown_option_is_refused_with_its_commands_usage(scripted, tmp_path):
    result = call("batch", str(tmp_path), "--out", str(tmp_path / "out"), "--colour", server=scripted)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: summarize batch DIR_OR_GLOB --out DIR [options]")
    assert result.stderr.rstrip().endswith("summarize batch: error: unrecognized arguments: --colour")
