"""Batch jobs (summarize.jobs): export → results → import rounds, and submit through a Batches API."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import shutil
import subprocess
import threading
import sys
import time
from pathlib import Path

import pytest
from batches_server import BatchesServer
from conftest import CORPUS, ROOT
from scripted_server import Step, completion

from summarize import ConfigError, EndpointError, RateLimitedError, Settings, batch_api, cli, jobs, replay
from summarize.budget import reply_tokens
from summarize.reply import max_reply_bytes

MODEL = "qwen3-8b"  # a Qwen3 name: requests carry the thinking switch in extra_body
LONG = "public-code-standard"  # the corpus article that needs map-reduce
FIRMER = "Your previous reply to this task came back in Chinese"  # prompts/english_only.txt


def _digest(text: str) -> str:
    """Eight letters naming ``text``: no digits, which the figure check would send to repair."""
    return hashlib.sha256(text.encode()).hexdigest()[:8].translate(str.maketrans("0123456789", "ghijklmnop"))


def model_reply(body: dict) -> str:
    """What the scripted model says: notes per part, summaries, and one English summary in Chinese
    (the 1624 exhibition's first one), so that the language re-ask takes a round of its own."""
    user = body["messages"][-1]["content"]  # the task follows the article in the user message
    if "Task: the text above is part" in user:
        return f"Notes {_digest(user)}: the part lists names, dates and figures."
    if "1624" in user and FIRMER not in user:
        return "這篇新聞的摘要仍然是中文，沒有英文。" * 3
    return f"An English summary {_digest(user)} of the article."


def fails_first(body: dict) -> bool:
    """The one request that fails once (HTTP 500): the long article's second map."""
    return "Task: the text above is part 2 of" in body["messages"][-1]["content"]


def chat_body(body: dict) -> dict:
    sent = sum(len(m["content"]) for m in body["messages"])  # a plausible count: no truncation warning
    return completion(model_reply(body), usage={"prompt_tokens": sent, "completion_tokens": 10, "total_tokens": sent + 10})


def corpus_folder(tmp_path: Path, times: int = 1) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    for n in range(times):
        for path in sorted(CORPUS.glob("*.txt")):
            shutil.copy(path, folder / (path.name if times == 1 else f"{n:03d}-{path.name}"))
    return folder


# The CLI's endpoint options for an export that sends nothing.
OFFLINE_ENDPOINT = ["--model", MODEL, "--base-url", "http://127.0.0.1:9/v1"]


def seed_folder(tmp_path: Path, name: str = "a.txt") -> Path:
    """A folder ``news`` holding the seed article as ``name``."""
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(CORPUS / "seed-qwen3-grok.txt", folder / name)
    return folder


def exported_seed(tmp_path: Path, name: str = "a.txt") -> tuple[Path, Path]:
    """A folder holding the seed article as ``name``, exported through the CLI: (folder, job)."""
    folder = seed_folder(tmp_path, name)
    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]) == 0
    return folder, out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def outputs(folder: Path) -> dict[str, object]:
    """Every output file; JSON records without ``elapsed`` (wall time differs between runs)."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or jobs.STATE in path.relative_to(folder).parts:
            continue
        if path.suffix == ".json":
            record = json.loads(path.read_text(encoding="utf-8"))
            record.pop("elapsed")
            found[path.relative_to(folder).as_posix()] = record
        else:
            found[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    return found


def canonical(body: dict) -> str:
    """A body as one string, without the streaming fields: the online client streams, a batch
    line is the same request unstreamed."""
    return json.dumps({k: v for k, v in body.items() if k not in ("stream", "stream_options")}, sort_keys=True, ensure_ascii=False)


@pytest.fixture
def endpoint_env(monkeypatch, scripted):
    monkeypatch.setenv("SUMMARIZE_BASE_URL", scripted.base_url)
    monkeypatch.setenv("SUMMARIZE_MODEL", MODEL)
    monkeypatch.setenv("SUMMARIZE_RETRY_BACKOFF", "0.01")
    return scripted


def run_rounds(out: Path, report: jobs.Report, tmp_path: Path, *, shuffle: bool = True) -> tuple[list[dict], int]:
    """Answer each round like the scripted server (the same failure once), feed results back out
    of order, and import; the request lines sent and the number of rounds."""
    sent: list[dict] = []
    failed: set[str] = set()
    rounds = 0
    rng = random.Random(7)
    while not report.finished:
        rounds += 1
        assert rounds < 10, "the job should finish in a few rounds"
        lines = [line for f in report.files for line in jobs.read_lines(f.path)]
        sent += lines
        results = []
        for line in lines:
            body = line["body"]
            if fails_first(body) and canonical(body) not in failed:
                failed.add(canonical(body))
                results.append(jobs.result_line(line["custom_id"], {"error": {"message": "overloaded"}}, status=500))
            else:
                results.append(jobs.result_line(line["custom_id"], chat_body(body)))
        if shuffle:
            rng.shuffle(results)
        path = tmp_path / f"results-{rounds}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8")
        report = jobs.import_results(out, path)
    assert failed, "the failing request should have been asked"
    return sent, rounds


def test_export_import_rounds_match_an_online_batch_run(endpoint_env, tmp_path, capsys, monkeypatch):
    scripted = endpoint_env
    # A 4,096-token context cuts the long article in more parts than its notes can share the
    # summary among, so its notes take a reduce round.
    monkeypatch.setenv("SUMMARIZE_CONTEXT_TOKENS", "4096")
    folder = corpus_folder(tmp_path)
    failed_online: set[str] = set()

    def online(seen):
        if fails_first(seen.body) and canonical(seen.body) not in failed_online:
            failed_online.add(canonical(seen.body))
            return Step.error(500, {"error": {"message": "overloaded"}})
        return Step(body=chat_body(seen.body))

    scripted.default = online
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "online")]) == 0
    online_bodies = sorted(canonical(r.body) for r in scripted.chat_requests)

    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    first = jobs.status(out)
    assert printed == [str(f.path) for f in first.files] and first.round == 1
    sent, rounds = run_rounds(out, first, tmp_path)

    # The same requests, the same number of them (the failed one twice in both), the same outputs.
    assert sorted(canonical(line["body"]) for line in sent) == online_bodies
    assert len(sent) == len(scripted.chat_requests)
    assert rounds == 3  # maps and single requests; the failed map again, reduces, the re-ask; the last re-ask
    assert outputs(out) == outputs(tmp_path / "online")
    assert all(line["method"] == "POST" and line["url"] == "/v1/chat/completions" for line in sent)
    assert all(line["body"]["chat_template_kwargs"] == {"enable_thinking": False} for line in sent)
    assert "stream" not in sent[0]["body"] and "extra_body" not in sent[0]["body"]

    # Importing the same results again changes nothing, not even the state.
    before = snapshot(out)
    again = jobs.import_results(out, *sorted(tmp_path.glob("results-*.jsonl")))
    assert again.stored == 0 and again.finished and snapshot(out) == before


def test_a_bilingual_job_matches_an_online_bilingual_batch(endpoint_env, tmp_path):
    scripted = endpoint_env
    folder = tmp_path / "news"
    folder.mkdir()
    for path in CORPUS.glob("*.txt"):
        if LONG in path.name or "1624" in path.name:
            shutil.copy(path, folder / path.name)
    scripted.default = lambda seen: Step(body=chat_body(seen.body))
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "online"), "--languages", "en,zh-Hant"]) == 0
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings.from_env(), languages=("en", "zh-Hant"))
    sent, _ = answer_rounds(out, report, tmp_path, chat_body)
    assert sorted(canonical(line["body"]) for line in sent) == sorted(canonical(r.body) for r in scripted.chat_requests)
    assert outputs(out) == outputs(tmp_path / "online")
    assert "## Summary (繁體中文)" in (out / next(folder.glob(f"*{LONG}*")).with_suffix(".md").name).read_text(encoding="utf-8")


def test_a_translation_job_matches_an_online_translation_batch(endpoint_env, tmp_path):
    import fake_translator
    from scripted_server import Seen

    scripted = endpoint_env
    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("seed-qwen3-grok.txt", "tainan-ai-youth-governance-press-release-2025.zh-Hant.txt"):
        shutil.copy(CORPUS / name, folder / name)
    model = fake_translator.translator(names="黃偉哲\tHuang Wei-che")
    scripted.default = model
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "online"), "--translate"]) == 0

    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings.from_env(), translate=True)
    first = [line for f in report.files for line in jobs.read_lines(f.path)]
    assert all("recurs in a" in line["body"]["messages"][0]["content"] for line in first)  # round 1: the names

    def engine(body):
        return model(Seen("POST", "/v1/chat/completions", {}, body, 0.0)).body

    sent, n = answer_rounds(out, report, tmp_path, engine)
    assert n == 2
    assert sorted(canonical(line["body"]) for line in sent) == sorted(canonical(r.body) for r in scripted.chat_requests)
    assert outputs(out) == outputs(tmp_path / "online")


def test_a_key_sentence_job_matches_an_online_key_sentence_batch(endpoint_env, tmp_path, monkeypatch):
    import fake_translator
    from scripted_server import Seen

    scripted = endpoint_env
    monkeypatch.setenv("SUMMARIZE_MODEL", "qwen2.5:1.5b")  # a small model: auto picks key sentences
    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("seed-qwen3-grok.txt", "tainan-1624-world-island-taiwan-exhibition-press-release-2024.zh-Hant.txt"):
        shutil.copy(CORPUS / name, folder / name)
    asked: set[str] = set()

    def stubborn(source: str) -> str:
        # The first key sentence holding 1624 comes back in Chinese once: its re-ask takes a round.
        if "1624" in source and source not in asked:
            asked.add(source)
            return source
        return fake_translator.english(source)

    def model(seen):
        return fake_translator.translator(stubborn)(seen)

    scripted.default = model
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "online"), "--languages", "en,zh-Hant"]) == 0
    online = [r.body for r in scripted.chat_requests]
    assert all(r.kind in ("key_sentences", "other") for r in scripted.chat_requests)  # translations and repairs

    asked.clear()
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings.from_env(), languages=("en", "zh-Hant"))

    def engine(body):
        return model(Seen("POST", "/v1/chat/completions", {}, body, 0.0)).body

    sent, n = answer_rounds(out, report, tmp_path, engine)
    assert n >= 2  # the re-ask of the sentence that stayed Chinese needed a round of its own
    assert sorted(canonical(line["body"]) for line in sent) == sorted(canonical(b) for b in online)
    assert outputs(out) == outputs(tmp_path / "online")
    record = json.loads((out / "seed-qwen3-grok.json").read_text(encoding="utf-8"))
    assert record["method"] == "key-sentences" and record["key_sentences"]


def test_a_missing_line_is_asked_again_and_exhausted_retries_fail_like_online(tmp_path):
    folder = corpus_folder(tmp_path)
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL, max_retries=1)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=settings)
    lines = [line for f in report.files for line in jobs.read_lines(f.path)]
    missing, broken = lines[0]["custom_id"], lines[1]["custom_id"]
    for attempt in range(3):
        # One line never comes back (an expired batch); one keeps failing with 503.
        results = tmp_path / f"r{attempt}.jsonl"
        rows = [
            jobs.result_line(line["custom_id"], {"error": {"message": "busy"}}, status=503, line_id=f"{attempt}-{n}")
            if line["custom_id"] == broken
            else jobs.result_line(line["custom_id"], chat_body(line["body"]))
            for n, line in enumerate(x for f in report.files for x in jobs.read_lines(f.path))
            if line["custom_id"] != missing or attempt == 2
        ]
        results.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        report = jobs.import_results(out, results)
        ids = {line["custom_id"] for f in report.files for line in jobs.read_lines(f.path)}
        if attempt == 0:
            assert {missing, broken} <= ids  # both asked again: one retry of the failure is allowed
    assert report.failed == 1 and report.done == report.articles - 1
    (source, message), = report.failures
    assert "the endpoint failed" in message and "busy" in message  # the client's own ServerError message


def test_files_split_at_the_line_and_byte_limits(tmp_path):
    folder = corpus_folder(tmp_path)
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    # Round 1: seven single requests and the long article's two maps.
    by_lines = jobs.export_round(folder, tmp_path / "a", settings=settings, max_lines=4)
    assert [f.lines for f in by_lines.files] == [4, 4, 1] and by_lines.requests == 9
    assert all(sum(1 for _ in jobs.read_lines(f.path)) == f.lines for f in by_lines.files)
    by_bytes = jobs.export_round(folder, tmp_path / "b", settings=settings, max_bytes=40_000)
    assert len(by_bytes.files) > 1 and all(f.path.stat().st_size == f.bytes <= 40_000 for f in by_bytes.files)
    assert {f.model for f in by_bytes.files} == {MODEL}
    ids = [line["custom_id"] for f in by_bytes.files for line in jobs.read_lines(f.path)]
    assert len(ids) == len(set(ids)) == 9 and all(len(i) <= 64 for i in ids)


def test_a_job_keeps_its_line_limit_unless_one_is_given_and_export_says_so(tmp_path, caplog):
    folder = corpus_folder(tmp_path)
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    out = tmp_path / "job"
    jobs.export_round(folder, out, settings=settings, max_lines=4)
    again = jobs.export_round(folder, out, settings=settings)  # resumed: the job's own limit
    assert [f.lines for f in again.files] == [4, 4, 1] and "split at" not in caplog.text
    again = jobs.export_round(folder, out, settings=settings, max_lines=50)
    assert [f.lines for f in again.files] == [4, 4, 1]  # files an engine may hold already are not rewritten
    assert "split at 4 requests; it keeps that (max_lines 50" in caplog.text
    # The submit path records its uploads, so it may split a round nothing was sent of: higher too.
    assert jobs.set_max_lines(out, 50) and not jobs.set_max_lines(out, 50)
    assert [f["lines"] for f in jobs.rounds(out)[0]["files"]] == [9]


def test_the_cli_passes_a_line_limit_only_when_one_is_given(tmp_path, monkeypatch, caplog):
    # Left out on a rerun, --max-lines is the job's own, not the 50,000 default put back.
    folder = corpus_folder(tmp_path)
    out = tmp_path / "job"
    monkeypatch.setenv("SUMMARIZE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SUMMARIZE_MODEL", MODEL)
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--max-lines", "4"]) == 0
    assert cli.main(["batch", "export", str(folder), "--out", str(out)]) == 0
    assert "it keeps that" not in caplog.text
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--max-lines", "9"]) == 0
    assert "split at 4 requests; it keeps that (max_lines 9" in caplog.text
    assert [f["lines"] for f in jobs.rounds(out)[0]["files"]] == [4, 4, 1]


def test_a_job_over_outputs_of_other_work_is_refused_and_a_resumed_job_says_what_it_does(tmp_path, caplog):
    # As online: outputs of a summary run are not "done" for a job asking a translation.
    from summarize.batch import BatchError

    folder = seed_folder(tmp_path, "seed.txt")
    out = tmp_path / "job"
    out.mkdir()
    (out / "seed.json").write_text(json.dumps({"file": "seed.txt", "summaries": {"en": "Alibaba released Qwen3."}}), encoding="utf-8")
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    with pytest.raises(BatchError, match="holds a summary in en, but this run asks for a translation into en"):
        jobs.export_round(folder, out, settings=settings, translate=True, formats=("json",))
    assert jobs.export_round(folder, out, settings=settings, formats=("json",)).skipped == 1  # the same work: done
    other = tmp_path / "job2"
    jobs.export_round(folder, other, settings=settings)
    jobs.export_round(folder, other, settings=settings, translate=True)
    assert "holds a job for a summary in en, not a translation into en; resuming it as it was started" in caplog.text


def test_a_job_run_again_with_other_formats_says_it_keeps_its_own(tmp_path, monkeypatch, caplog):
    # A --format given on a rerun was dropped without a word: the default could not be told
    # from a format given on purpose. Left out, nothing is said; given and the same, nothing.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    monkeypatch.setenv("SUMMARIZE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SUMMARIZE_MODEL", MODEL)
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--format", "json"]) == 0
    assert cli.main(["batch", "export", str(folder), "--out", str(out)]) == 0
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--format", "json"]) == 0
    assert "writes json per article" not in caplog.text
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--format", "md,json"]) == 0
    assert f"{out} already holds a job that writes json per article, not md,json; resuming it as it was started" in caplog.text
    assert jobs.Job(out).load()["formats"] == ["json"]


@pytest.mark.parametrize("formats", ["md", "pdf", (), ("md", "pdf"), [1], 5])
def test_formats_that_name_no_output_are_refused_before_anything_is_written(tmp_path, formats):
    # formats="pdf" was read letter by letter: outputs .p, .d and .f that nothing writes, so the
    # job's articles could never be finished.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    with pytest.raises(ConfigError, match='formats must be a list of "md" and "json"'):
        jobs.export_round(folder, out, settings=settings, formats=formats)
    with pytest.raises(ConfigError, match='formats must be a list of "md" and "json"'):
        batch_api.submit(folder, out, settings=settings, formats=formats, poll=0.01)
    assert not out.exists()


def test_export_refuses_an_output_made_read_only_that_the_job_would_replace(tmp_path):
    from summarize.batch import BatchError

    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    out.mkdir()
    mine = out / "a.json"
    mine.write_text(json.dumps({"file": "a.txt", "summaries": {"en": "Mine."}}), encoding="utf-8")
    mine.chmod(0o444)  # a.md is missing: the article is not done, and a.json would be replaced
    with pytest.raises(BatchError, match="a.json is read-only: summarize does not replace a file you protected"):
        jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    assert not jobs.Job(out).exists and mine.read_text(encoding="utf-8").endswith('"Mine."}}')


def test_formats_given_twice_are_written_once(tmp_path):
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL), formats=["json", "json"])
    assert jobs.Job(out).load()["formats"] == ["json"]


def test_export_refuses_files_it_did_not_write_where_outputs_go_as_online(tmp_path, capsys):
    # They counted as the article's finished outputs: "1 already done", and the job was empty.
    folder = seed_folder(tmp_path, "seed.txt")
    out = tmp_path / "job"
    out.mkdir()
    (out / "seed.md").write_text("# mine\n", encoding="utf-8")
    (out / "seed.json").write_text('{"mine": true}\n', encoding="utf-8")
    code = cli.main(["batch", "export", str(folder), "--out", str(out), "--model", MODEL, "--base-url", "http://127.0.0.1:9/v1"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"summarize batch export: error: {out / 'seed.md'} is where an article's result goes, but summarize did not write it")
    assert "(and 1 other file(s) like it)" in err and "move it away (or remove it)" in err
    assert not (out / jobs.STATE / "job.json").exists()
    assert (out / "seed.md").read_text(encoding="utf-8") == "# mine\n"


@pytest.mark.parametrize("action", ["export", "submit"])
def test_export_and_submit_of_no_articles_are_usage_errors_as_online(tmp_path, monkeypatch, capsys, action):
    monkeypatch.setenv("SUMMARIZE_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SUMMARIZE_MODEL", MODEL)
    (tmp_path / "empty").mkdir()
    for where in (tmp_path / "missing", tmp_path / "empty"):
        assert cli.main(["batch", action, str(where), "--out", str(tmp_path / "job")]) == 2
        assert "no articles in" in capsys.readouterr().err
    assert not (tmp_path / "job").exists()


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "100"])
def test_a_line_limit_that_is_no_count_is_refused_before_anything_is_written(tmp_path, bad):
    folder = corpus_folder(tmp_path)
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    with pytest.raises(ConfigError, match="max_lines must be a whole number"):
        jobs.export_round(folder, tmp_path / "job", settings=settings, max_lines=bad)
    assert not (tmp_path / "job").exists()


def test_a_glob_names_the_same_articles_and_output_paths_as_online(tmp_path):
    from summarize.batch import find_articles, output_paths

    folder = corpus_folder(tmp_path)
    (folder / "sub").mkdir()
    shutil.move(str(folder / "seed-qwen3-grok.txt"), folder / "sub")
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    for spec in (str(folder), str(folder / "**" / "*.txt")):
        out = tmp_path / f"job-{len(spec)}"
        jobs.export_round(spec, out, settings=settings)
        found = find_articles(spec)
        online = sorted(
            p.relative_to(out).as_posix() for f in found.files for p in output_paths(f, found.base, out, ("md",)).values()
        )
        stored = sorted(a["outputs"]["md"] for a in jobs.Job(out).articles(0, 8))
        assert stored == online and "sub/seed-qwen3-grok.md" in stored


def test_an_export_given_no_endpoint_says_its_requests_are_shaped_for_openai(tmp_path, caplog):
    # README's flow (export --model ..., then vllm run-batch) wrote OpenAI-shaped requests without
    # a word: no thinking switch, so Qwen3 on vLLM thought until every reply hit its token limit.
    folder = seed_folder(tmp_path)
    report = jobs.export_round(folder, tmp_path / "job", settings=Settings(model=MODEL))
    assert "chat_template_kwargs" not in next(jobs.read_lines(report.files[0].path))["body"]
    (warned,) = [r.getMessage() for r in caplog.records if "shaped for OpenAI" in r.getMessage()]
    assert warned.startswith("no --base-url or --preset is given, so the requests are shaped for OpenAI's Batch API")
    assert "--preset vllm for vllm run-batch" in warned
    caplog.clear()
    report = jobs.export_round(folder, tmp_path / "vllm", settings=Settings(model=MODEL, preset="vllm"))
    assert next(jobs.read_lines(report.files[0].path))["body"]["chat_template_kwargs"] == {"enable_thinking": False}
    jobs.export_round(folder, tmp_path / "openai", settings=Settings(model=MODEL, preset="openai"))
    jobs.export_round(folder, tmp_path / "job", settings=Settings(model=MODEL))  # resumed: said when it began
    assert "shaped for OpenAI" not in caplog.text


def test_presets_shape_the_lines_and_the_file_limit(tmp_path):
    folder = corpus_folder(tmp_path)
    dashscope = Settings(preset="dashscope", model="qwen-plus", api_key="sk-test")
    report = jobs.export_round(folder, tmp_path / "d", settings=dashscope)
    body = next(jobs.read_lines(report.files[0].path))["body"]
    # max_tokens is sized for the request (a summary of SUMMARIZE_SUMMARY_WORDS), as online.
    assert body["enable_thinking"] is False and body["max_tokens"] == reply_tokens(dashscope, dashscope.summary_words)
    assert body["max_tokens"] < dashscope.output_tokens and body["model"] == "qwen-plus"
    meta = json.loads((tmp_path / "d" / jobs.STATE / "job.json").read_text())
    assert meta["max_bytes"] == 500_000_000 and "api_key" not in meta["settings"]
    assert "sk-test" not in "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "d").rglob("*.json*"))
    openai_report = jobs.export_round(folder, tmp_path / "o", settings=Settings(preset="openai", model="o4-mini", api_key="k"))
    body = next(jobs.read_lines(openai_report.files[0].path))["body"]
    assert body["reasoning_effort"] == "low" and "max_completion_tokens" in body and "temperature" not in body


def test_an_engine_that_raises_fails_its_line_which_the_next_round_asks_again(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(CORPUS / "seed-qwen3-grok.txt", folder)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    calls = []

    def flaky(body):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("GPU fell off the bus")
        return chat_body(body)

    jobs.answer_round(report.files, tmp_path / "r1.jsonl", flaky)
    (line,) = jobs.read_lines(tmp_path / "r1.jsonl")
    assert line["response"]["status_code"] == 500 and "GPU fell off" in line["error"]["message"]
    again = jobs.import_results(out, tmp_path / "r1.jsonl")
    assert again.round == 1 and again.waiting == 1  # the same request, the same round file
    jobs.answer_round(again.files, tmp_path / "r2.jsonl", flaky)
    assert jobs.import_results(out, tmp_path / "r2.jsonl").done == 1


def test_an_engine_that_always_fails_a_request_ends_at_the_retry_limit(tmp_path, caplog):
    # answer_round gave every failure of a request the id "line-<custom_id>-500": each round's
    # was taken for the one imported before, never counted, and the documented loop never ended.
    out = tmp_path / "job"
    report = jobs.export_round(
        seed_folder(tmp_path, "seed.txt"), out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL, max_retries=2)
    )

    def broken(body):
        raise RuntimeError("CUDA out of memory")

    rounds = 0
    while not report.finished and rounds < 10:
        rounds += 1
        jobs.answer_round(report.files, tmp_path / f"r{rounds}.jsonl", broken)
        report = jobs.import_results(out, tmp_path / f"r{rounds}.jsonl")
    assert report.finished and report.failed == 1 and rounds == 3  # the first try and two retries
    (_, message), = report.failures
    assert "CUDA out of memory" in message
    # The same file imported again stores nothing, and says so.
    caplog.clear()
    assert jobs.import_results(out, tmp_path / "r3.jsonl").failed == 1
    assert "nothing new" in caplog.text


def test_a_job_another_process_works_on_is_refused_not_raced(tmp_path, capsys):
    # Two imports at once each stored their replies over the other's and shared one draft round:
    # one failed with a bare "No such file or directory: .../rounds/.draft", and replies already
    # stored were asked (and paid for) again.
    import fcntl

    folder, out = _three_articles_answered(tmp_path)
    other = os.open(out / jobs.STATE, os.O_RDONLY)  # as another process holding the job
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(jobs.JobError, match="another summarize process is working on the job in .*: let it end"):
            jobs.import_results(out, tmp_path / "r.jsonl")
        for call in (
            lambda: jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)),
            lambda: jobs.retry_failed(out),
            lambda: jobs.set_max_lines(out, 7),
        ):
            with pytest.raises(jobs.JobError, match="another summarize process"):
                call()
        assert cli.main(["batch", "import", str(out), str(tmp_path / "r.jsonl")]) != 0
        assert "another summarize process is working on the job" in capsys.readouterr().err
        assert jobs.status(out).waiting == 3  # reading where it stands needs no hold
    finally:
        os.close(other)
    # Let go, the import runs; within one process the job is re-entered (submit imports).
    assert jobs.import_results(out, tmp_path / "r.jsonl").done == 3
    with jobs.Job(out).exclusive(), jobs.Job(out).exclusive():
        assert jobs.status(out).done == 3


def test_an_import_killed_before_it_recorded_the_next_round_is_finished_by_status(tmp_path, monkeypatch):
    # Killed after storing replies but before job.json named round 2, status handed out round 1,
    # whose file holds a request answered since: paid for twice by whoever followed it.
    folder = seed_folder(tmp_path, "a.txt")
    (folder / "b.txt").write_text((folder / "a.txt").read_text(encoding="utf-8") + "\n多一句。", encoding="utf-8")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    lines = [line for f in report.files for line in jobs.read_lines(f.path)]
    answered = lines[0]["custom_id"]
    results = tmp_path / "r1.jsonl"
    results.write_text(json.dumps(jobs.result_line(answered, chat_body(lines[0]["body"]))) + "\n", encoding="utf-8")

    class Killed(BaseException):
        pass

    real = jobs.Job.save

    def killed_at_the_next_round(self, meta):
        if len(meta["rounds"]) > 1:
            raise Killed  # as kill -9 there: nothing after it runs
        real(self, meta)

    monkeypatch.setattr(jobs.Job, "save", killed_at_the_next_round)
    with pytest.raises(Killed):
        jobs.import_results(out, results)
    monkeypatch.setattr(jobs.Job, "save", real)
    after = jobs.status(out)
    assert after.round == 2 and after.done == 1 and after.waiting == 1
    handed = [line["custom_id"] for f in after.files for line in jobs.read_lines(f.path)]
    assert handed and answered not in handed
    assert "changing" not in json.loads((out / jobs.STATE / "job.json").read_text(encoding="utf-8"))


def test_ctrl_c_during_an_import_stops_it_between_articles_and_the_next_command_goes_on(tmp_path):
    # Between an article's event loop and the next, Python's own handler raised KeyboardInterrupt
    # at any bytecode, inside a weakref callback too, where it was dropped: one export in twelve
    # ran on to its end after Ctrl-C and exited 0.
    import signal

    _, out = _three_articles_answered(tmp_path)
    finished: list[str] = []

    def press_ctrl_c(source: str, error: str | None) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # noted, and raised before the next article, not here
        finished.append(source)

    with pytest.raises(KeyboardInterrupt):
        jobs.import_results(out, tmp_path / "r.jsonl", on_article=press_ctrl_c)
    assert len(finished) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back
    assert jobs.status(out).done == 3  # the next command finishes the pass from the stored replies


def test_a_model_name_too_long_for_a_file_name_is_shortened_in_the_request_files(tmp_path):
    # "requests-<240 characters>-001.jsonl" is no file name (255 bytes at most): the export failed
    # after job.json was written, and the job folder could not be used again.
    model = "m" * 240
    report = jobs.export_round(seed_folder(tmp_path), tmp_path / "job", settings=Settings(base_url="http://127.0.0.1:9/v1", model=model))
    (written,) = report.files
    assert len(written.path.name.encode()) <= 120 and written.model == model
    assert {line["body"]["model"] for line in jobs.read_lines(written.path)} == {model}


def _three_articles_answered(tmp_path: Path) -> tuple[Path, Path]:
    """Three copies of the seed article (a, b, c) exported, and their answers in ``r.jsonl``, not imported."""
    folder = seed_folder(tmp_path, "a.txt")
    for name in ("b.txt", "c.txt"):
        shutil.copy(folder / "a.txt", folder / name)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    jobs.answer_round(report.files, tmp_path / "r.jsonl", chat_body)
    return folder, out


def test_status_after_an_interrupted_import_says_to_import_the_same_file_again(tmp_path, monkeypatch, caplog):
    # Ctrl-C after one shard of r.jsonl was stored: status planned round 2 from what was stored,
    # holding requests answered in r.jsonl, and said nothing; handed to the engine, they were
    # paid for twice.
    monkeypatch.setattr(jobs, "SHARD_SIZE", 1)  # three articles, three shards
    _, out = _three_articles_answered(tmp_path)
    save = jobs.Job.save_shard

    def interrupted(self, number, shard):
        save(self, number, shard)
        raise KeyboardInterrupt

    monkeypatch.setattr(jobs.Job, "save_shard", interrupted)
    with pytest.raises(KeyboardInterrupt):
        jobs.import_results(out, tmp_path / "r.jsonl")
    monkeypatch.setattr(jobs.Job, "save_shard", save)
    with caplog.at_level(logging.WARNING, logger="summarize"):
        report = jobs.status(out)
    assert report.files  # a round was planned, some of whose requests r.jsonl answers
    said = " ".join(caplog.messages)
    assert f"an import of {tmp_path / 'r.jsonl'} was interrupted before it stored every reply" in said, said
    assert f"run `summarize batch import {out} {tmp_path / 'r.jsonl'}` again before answering round {report.round}" in said
    caplog.clear()
    assert jobs.import_results(out, tmp_path / "r.jsonl").done == 3  # as it says: nothing more to pay for
    with caplog.at_level(logging.WARNING, logger="summarize"):
        jobs.status(out)
    assert "was interrupted" not in " ".join(caplog.messages)


def test_an_output_that_cannot_be_written_fails_its_article_alone_and_is_written_later(tmp_path):
    # A file of the user's that appeared at a.md while the batch ran was written over; a
    # read-only b.json stopped the whole import (c never written, a's outputs not recorded).
    _, out = _three_articles_answered(tmp_path)
    (out / "a.md").write_text("my precious notes\n", encoding="utf-8")
    (out / "b.json").mkdir()  # cannot be written: as a full disk, or a read-only file for a user
    report = jobs.import_results(out, tmp_path / "r.jsonl")
    assert (report.done, report.failed, report.waiting, report.retryable) == (1, 2, 0, 0)
    assert (out / "a.md").read_text(encoding="utf-8") == "my precious notes\n"  # left alone
    assert (out / "c.md").is_file() and (out / "c.json").is_file()
    messages = dict((Path(source).name, message) for source, message in report.failures)
    assert "a.md is where its result goes, but summarize did not write it" in messages["a.txt"]
    assert "summarize batch status" in messages["a.txt"] and "no request is sent" in messages["a.txt"]
    assert messages["b.txt"].startswith(f"its result could not be written to {out / 'b.json'} (Is a directory)")
    assert jobs.status(out).failed == 2  # still in the way: still failed, nothing asked
    # Moved away, both are written from the stored replies by the next pass: nothing is asked.
    (out / "a.md").rename(tmp_path / "notes.md")
    (out / "b.json").rmdir()
    after = jobs.status(out)
    assert (after.done, after.failed, after.files) == (3, 0, ())
    assert all((out / f"{name}.{fmt}").is_file() for name in "abc" for fmt in ("md", "json"))
    assert "## Summary" in (out / "a.md").read_text(encoding="utf-8")


def test_an_output_of_other_work_written_since_the_export_is_left_alone_and_written_later(tmp_path):
    # Another run wrote a zh-Hant summary where the job's English one goes, after the export:
    # the import wrote over it without a word (online, a batch refuses such outputs at its start).
    _, out = _three_articles_answered(tmp_path)
    folder = tmp_path / "news"
    other = jobs.export_round(folder, tmp_path / "other", settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL),
                              languages=("zh-Hant",))
    jobs.answer_round(other.files, tmp_path / "other.jsonl", lambda body: chat_body(body) | {"choices": [
        {"index": 0, "message": {"role": "assistant", "content": "這篇新聞說明了模型發布的細節與時間。"}, "finish_reason": "stop"}]})
    assert jobs.import_results(tmp_path / "other", tmp_path / "other.jsonl").done == 3
    for name in ("a.md", "a.json"):
        shutil.copy(tmp_path / "other" / name, out / name)
    theirs = (out / "a.md").read_bytes()
    report = jobs.import_results(out, tmp_path / "r.jsonl")
    assert (report.done, report.failed, report.waiting, report.retryable) == (2, 1, 0, 0)
    assert (out / "a.md").read_bytes() == theirs  # left alone
    ((source, message),) = report.failures
    assert Path(source).name == "a.txt"
    assert message.startswith(f"{out / 'a.json'} holds a summary in zh-Hant, but this job makes a summary in en: it is left alone")
    assert "summarize batch status" in message and "no request is sent" in message
    (out / "a.md").unlink()
    (out / "a.json").unlink()
    after = jobs.status(out)
    assert (after.done, after.failed, after.files) == (3, 0, ())
    assert "## Summary (English)" in (out / "a.md").read_text(encoding="utf-8")


def test_a_finished_articles_removed_output_is_written_again_from_the_stored_replies(tmp_path, caplog):
    # Removed (to have it written again, or lost), it stayed missing: export, status and import
    # all said every article was finished.
    _, out = _three_articles_answered(tmp_path)
    jobs.import_results(out, tmp_path / "r.jsonl")
    written = (out / "a.json").read_text(encoding="utf-8")
    (out / "a.json").unlink()
    (out / "a.md").unlink()
    report = jobs.status(out)
    assert (report.done, report.files) == (3, ())
    assert json.loads((out / "a.json").read_text(encoding="utf-8"))["summary"] == json.loads(written)["summary"]
    assert "a.txt: its output was missing or unwritten; written now from the stored replies (no request sent)" in caplog.text
    before = snapshot(out)
    assert jobs.status(out).done == 3 and snapshot(out) == before  # nothing to write: nothing changes


def test_a_streaming_client_gets_the_stored_reply_as_one_chunk():
    import asyncio

    replies: dict = {}
    replayer = replay.Replayer("a0000000", replies, {}, retries=0)
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
    replies[jobs.custom_id("a0000000", body)] = completion("hello", reasoning_content="hmm")

    async def read():
        stream = await replayer.create(**body, stream=True, stream_options={"include_usage": True})
        return [chunk async for chunk in stream]

    (chunk,) = asyncio.run(read())
    assert chunk.choices[0].delta.content == "hello" and chunk.choices[0].finish_reason == "stop"
    assert chunk.choices[0].delta.model_extra["reasoning_content"] == "hmm" and chunk.usage.completion_tokens == 10


def test_a_client_reading_raw_sse_gets_the_stored_reply_and_pending_requests_are_recorded():
    import asyncio

    replies: dict = {}
    replayer = replay.Replayer("a0000000", replies, {}, retries=0)
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
    replies[jobs.custom_id("a0000000", body)] = completion("hello", reasoning_content="hmm")

    async def read(request):
        async with replayer.chat.completions.with_streaming_response.create(**request, stream=True) as response:
            return b"".join([data async for data in response.http_response.aiter_bytes()])

    events = asyncio.run(read(body)).decode().split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    first, usage = (json.loads(e.removeprefix("data: ")) for e in events[:2])
    assert first["choices"][0]["delta"]["content"] == "hello" and first["choices"][0]["finish_reason"] == "stop"
    assert first["choices"][0]["delta"]["reasoning_content"] == "hmm" and usage["usage"]["completion_tokens"] == 10
    other = {**body, "max_tokens": 6}
    with pytest.raises(replay.Pending):
        asyncio.run(read(other))
    assert list(replayer.pending.values()) == [other]  # what the round file gets: no stream flag


def test_the_replay_answers_each_attempt_with_the_next_stored_failure_then_the_reply():
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
    cid = jobs.custom_id("a0000000", body)
    hint = {"error": {"message": "Rate limit reached. Please try again in 20s."}}
    failures = {cid: [{"id": "1", "status": 429, "error": hint}, {"id": "2", "status": 503, "error": "busy"}]}
    answered = replay.Replayer("a0000000", {cid: completion("hello")}, failures, retries=2)
    first, second, third = (answered.answer(dict(body)) for _ in range(3))
    # Retried attempts, as online (Usage.attempts 3); their text left out, so no Retry-After makes the replay sleep.
    assert (first["error"]["code"], second["error"]["code"]) == (429, 503) and "20s" not in first["error"]["message"]
    assert third["choices"][0]["message"]["content"] == "hello"
    given_up = replay.Replayer("a0000000", {}, failures, retries=1)  # two failures, one retry: failed for good
    last = [given_up.answer(dict(body)) for _ in range(2)][-1]
    assert last["error"] == {"code": 503, "message": "busy"}  # the last failure as it came, for the error shown


@pytest.mark.parametrize(
    ("line", "kind", "status"),
    [
        # OpenAI and DashScope: a success, a failed request (error file), an expired one.
        ({"response": {"status_code": 200, "body": completion("ok")}, "error": None}, "ok", 200),
        ({"response": {"status_code": 429, "body": {"error": {"message": "slow down"}}}, "error": None}, "failed", 429),
        ({"response": None, "error": {"code": "batch_expired", "message": "not run in time"}}, "missing", None),
        ({"response": None, "error": {"code": "batch_cancelled", "message": "cancelled"}}, "missing", None),
        ({"response": None, "error": None}, "missing", None),
        # A line refused without a response: its error is the failure to show.
        ({"response": None, "error": {"code": "model_not_found", "message": "The model 'm' does not exist"}}, "failed", 500),
        # vllm run-batch: an ErrorResponse, and an exception turned into a 400.
        ({"response": {"status_code": 400, "body": None}, "error": {"error": {"message": "too long", "code": 400}}}, "failed", 400),
        ({"response": {"status_code": 400, "body": None}, "error": "Request must not be sent in stream mode"}, "failed", 400),
        # A 200 whose body is an error, as some servers send a 429.
        ({"response": {"status_code": 200, "body": {"error": {"code": 429, "message": "busy"}}}, "error": None}, "failed", 429),
    ],
)
def test_result_line_shapes(line, kind, status):
    assert jobs._outcome(line["response"], line["error"])[:2] == (kind, status)


def _http(status, error):
    """A failed line as OpenAI and DashScope write it: the error in the response body."""
    return {"response": {"status_code": status, "request_id": "req-1", "body": {"error": error}}, "error": None}


def _vllm(error, status=400):
    """A failed line as ``vllm run-batch`` writes it (run_batch.py): no body, the error beside
    it: an ErrorResponse object, or, for an exception, its text (make_error_request_output, 400)."""
    return {"response": {"status_code": status, "request_id": "vllm-batch-1", "body": None}, "error": error}


CONTEXT_400 = "This model's maximum context length is 4096 tokens. However, your request has 5000 input tokens."


@pytest.mark.parametrize(
    ("line", "status", "transient"),
    [
        # OpenAI: rate limits and server errors in the output/error file; an invalid request.
        (_http(429, {"message": "Rate limit reached for gpt-4o-mini", "type": "requests", "code": "rate_limit_exceeded"}), 429, True),
        (_http(500, {"message": "The server had an error while processing your request.", "type": "server_error", "code": None}), 500, True),
        (_http(503, {"message": "The engine is currently overloaded, please try again later", "type": "server_error"}), 503, True),
        (_http(400, {"message": "Rate limited", "type": "rate_limit_exceeded", "code": None}), 429, True),  # as online
        (_http(400, {"message": "This model's maximum context length is 128000 tokens. However, your messages "
                     "resulted in 130000 tokens.", "type": "invalid_request_error", "code": "context_length_exceeded"}), 400, False),
        (_http(400, {"message": "max_tokens is too large: 1000000.", "type": "invalid_request_error", "param": "max_tokens",
                     "code": "invalid_value"}), 400, False),
        # OpenAI: a request whose call to the model timed out (the error file, no response).
        ({"response": None, "error": {"code": "request_timeout", "message": "The underlying call to the model timed out."}}, 408, True),
        # DashScope: the same shapes, its own codes.
        (_http(429, {"code": "Throttling.RateQuota", "message": "Requests rate limit exceeded, please try again later."}), 429, True),
        (_http(500, {"code": "InternalError.Algo", "message": "An internal error has occured during execution."}), 500, True),
        (_http(400, {"code": "data_inspection_failed", "message": "Input data may contain inappropriate content."}), 400, False),
        (_http(400, {"code": "InvalidParameter", "message": "Range of input length should be [1, 129024]"}), 400, False),
        # vllm run-batch: an engine that died mid-batch, written as a 400 with the exception's text.
        (_vllm("EngineCore encountered an issue. See stack trace (above) for the root cause."), 500, True),
        (_vllm("Engine loop is not running. Inspect the stacktrace to find the original error: "
               "RuntimeError('Engine loop has died')."), 500, True),
        (_vllm("Background loop has errored already."), 500, True),
        (_vllm("Task finished unexpectedly. This should never happen! See stack trace above for the actual cause."), 500, True),
        (_vllm(""), 500, True),  # EngineGenerateError() says nothing
        (_vllm("CUDA out of memory. Tried to allocate 2.00 GiB"), 500, True),
        # ... and the refusals run-batch writes itself in the same shape: the request's fault.
        (_vllm("Request must not be sent in stream mode"), 400, False),
        (_vllm("The model does not support Chat Completions API"), 400, False),
        # vllm run-batch: the server's ErrorResponse, in either version's shape, keeps its status ...
        (_vllm({"error": {"message": CONTEXT_400, "type": "BadRequestError", "param": "input_tokens", "code": 400}}), 400, False),
        (_vllm({"object": "error", "message": CONTEXT_400, "type": "BadRequestError", "param": None, "code": 400}), 400, False),
        (_vllm({"error": {"message": "The model `m` does not exist.", "type": "NotFoundError", "code": 404}}, 404), 404, False),
        (_vllm({"error": {"message": "Internal server error", "type": "InternalServerError", "code": 500}}, 500), 500, True),
        # ... unless it says the engine died (a RuntimeError, which it files under 400).
        (_vllm({"error": {"message": "Engine loop is not running. Inspect the stacktrace to find the original error: "
                          "RuntimeError('Engine loop has died').", "type": "BadRequestError", "code": 400}}), 500, True),
    ],
)
def test_which_failed_lines_are_asked_again(line, status, transient):
    # One rule: the status a failed line stands for, asked again (up to SUMMARIZE_MAX_RETRIES)
    # when the online client would retry it, else replayed as the refusal it is.
    assert jobs._outcome(line["response"], line["error"])[:2] == ("failed", status)
    assert replay.retryable(status) is transient


@pytest.mark.parametrize(
    "body",
    [
        {"choices": [5]},
        {"choices": [None]},
        {"choices": ["x"]},
        {"choices": [{"message": "hello", "finish_reason": "stop"}]},
        {"choices": [{"message": [1], "finish_reason": "stop"}]},
        {**completion("ok"), "usage": "lots"},
        # A 200 that holds no reply was "the endpoint rejected the request: null (status 200)".
        None,
        {"id": "chatcmpl-1", "object": "chat.completion"},
        {"choices": []},
        json.dumps(completion("ok")),
    ],
)
def test_a_malformed_reply_fails_its_article_and_the_job_goes_on(tmp_path, body):
    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("seed-qwen3-grok.txt", "tainan-ai-youth-governance-press-release-2025.zh-Hant.txt"):
        shutil.copy(CORPUS / name, folder / name)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    lines = [x for f in report.files for x in jobs.read_lines(f.path)]
    bad = lines[0]["custom_id"]
    rows = [jobs.result_line(x["custom_id"], body if x["custom_id"] == bad else chat_body(x["body"])) for x in lines]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = jobs.import_results(out, tmp_path / "r.jsonl")
    assert report.finished and report.done == 1 and report.failed == 1
    (_source, message), = report.failures
    assert "malformed reply" in message
    # Nothing stored trips a later pass: status, another import and a re-export all work.
    assert bad not in jobs.Job(out).shard(0).replies
    assert jobs.status(out).failed == 1
    assert jobs.import_results(out, tmp_path / "r.jsonl").stored == 0
    assert jobs.export_round(folder, out, settings=Settings(model=MODEL)).done == 1


def test_a_line_refused_without_a_response_fails_with_the_servers_message(tmp_path):
    folder = seed_folder(tmp_path, "seed.txt")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL, max_retries=0))
    (line,) = [x for f in report.files for x in jobs.read_lines(f.path)]
    refused = {"id": "e1", "custom_id": line["custom_id"], "response": None,
               "error": {"code": "model_not_found", "message": f"The model '{MODEL}' does not exist"}}
    (tmp_path / "r.jsonl").write_text(json.dumps(refused) + "\n", encoding="utf-8")
    report = jobs.import_results(out, tmp_path / "r.jsonl")
    assert report.failed == 1 and report.finished
    (_source, message), = report.failures
    assert f"The model '{MODEL}' does not exist" in message
    # The engine refused it: the job's base URL, never contacted, is not blamed.
    assert "at the batch engine" in message and "127.0.0.1:9" not in message


def test_a_reply_imported_with_a_refusal_of_the_same_request_finishes_its_article(tmp_path):
    # Two runs of one round imported together held a refusal and a reply for one request. The
    # reply was thrown away: the article failed, "an earlier attempt failed (HTTP 400)", a
    # refusal online would have ended the request with, never followed by a reply.
    out = tmp_path / "job"
    report = jobs.export_round(seed_folder(tmp_path, "seed.txt"), out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    (line,) = [x for f in report.files for x in jobs.read_lines(f.path)]
    refused, again = tmp_path / "run-1.jsonl", tmp_path / "run-2.jsonl"
    refused.write_text(json.dumps(jobs.result_line(line["custom_id"], {"error": {"message": "bad request"}}, status=400)) + "\n")
    again.write_text(json.dumps(jobs.result_line(line["custom_id"], chat_body(line["body"]), line_id="vllm-2")) + "\n")
    report = jobs.import_results(out, refused, again)
    assert (report.done, report.failed, report.failures) == (1, 0, ())
    assert json.loads((out / "seed.json").read_text(encoding="utf-8"))["usage"]["attempts"] == 1


ENGINE_DEAD = "EngineCore encountered an issue. See stack trace (above) for the root cause."


CUDA_OOM = "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total capacity)"


def crash_line(cid: str, line_id: str) -> dict:
    """What ``vllm run-batch`` writes for a request when its engine died: an exception's text, as a 400."""
    return {"id": line_id, "custom_id": cid, "error": ENGINE_DEAD, "response": {"status_code": 400, "request_id": "r", "body": None}}


def test_a_line_vllm_wrote_when_its_engine_died_is_asked_again_not_failed_for_good(tmp_path, caplog):
    # vllm run-batch writes an engine crash as a 400 (run_batch.py, make_error_request_output):
    # taken for a refusal, the article failed for good until export was run again.
    out = tmp_path / "job"
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL, max_retries=2)
    report = jobs.export_round(seed_folder(tmp_path, "seed.txt"), out, settings=settings)
    (line,) = [x for f in report.files for x in jobs.read_lines(f.path)]
    crashed = tmp_path / "run-1.jsonl"
    crashed.write_text(json.dumps(crash_line(line["custom_id"], "vllm-1")) + "\n")
    with caplog.at_level(logging.WARNING, logger="summarize"):
        report = jobs.import_results(out, crashed)
    assert (report.failed, report.waiting, report.failures) == (0, 1, ())
    # Why the same request is in the next round's file, and what its 400 was taken for.
    (said,) = [r.getMessage() for r in caplog.records if "asked again" in r.getMessage()]
    assert f"HTTP 400, taken as 500: {ENGINE_DEAD}" in said and "SUMMARIZE_MAX_RETRIES=2" in said
    assert [x["body"] for f in report.files for x in jobs.read_lines(f.path)] == [line["body"]]  # the same request again
    assert (jobs.status(out).failed, jobs.status(out).waiting) == (0, 1)
    # The same file imported again is the same failure: it costs no second retry, nor a second word.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="summarize"):
        assert jobs.import_results(out, crashed).stored == 0
    assert "in a way that passes" not in caplog.text
    assert len(jobs.Job(out).shard(0).failures[line["custom_id"]]) == 1
    answered = tmp_path / "run-2.jsonl"
    answered.write_text(json.dumps(jobs.result_line(line["custom_id"], chat_body(line["body"]))) + "\n")
    report = jobs.import_results(out, answered)
    assert (report.done, report.failed) == (1, 0)
    record = json.loads((out / "seed.json").read_text(encoding="utf-8"))
    assert record["usage"]["attempts"] == 2  # the crash and the reply, as online's 500 and retry


def test_a_request_the_engine_always_crashes_on_fails_after_its_retries_with_the_engines_message(tmp_path, caplog):
    out = tmp_path / "job"
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL, max_retries=2)
    report = jobs.export_round(seed_folder(tmp_path, "seed.txt"), out, settings=settings)
    (line,) = [x for f in report.files for x in jobs.read_lines(f.path)]
    for attempt in range(3):
        assert report.files and report.failed == 0
        results = tmp_path / f"run-{attempt}.jsonl"
        results.write_text(json.dumps(crash_line(line["custom_id"], f"vllm-{attempt}")) + "\n")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="summarize"):
            report = jobs.import_results(out, results)
        assert ("asked again in the next round" in caplog.text) is (attempt < 2)  # not said of the last
    assert (report.files, report.failed, report.waiting) == ((), 1, 0)
    (_source, message), = report.failures
    assert "the endpoint failed" in message and ENGINE_DEAD in message and "after 3 attempts" in message
    assert "rejected the request" not in message


def _failed_at_engine(kind: str, cid: str, number: int) -> dict:
    """A failed line that passes, of one kind, as OpenAI, DashScope or ``vllm run-batch`` writes it."""
    line_id = f"line-{kind}-{number}"
    if kind == "server":
        return {"id": line_id, "custom_id": cid, **_http(503, {"message": "The engine is currently overloaded", "type": "server_error"})}
    if kind == "rate":
        return {"id": line_id, "custom_id": cid, **_http(429, {"message": "Rate limit reached", "code": "rate_limit_exceeded"})}
    if kind == "timeout":
        return {"id": line_id, "custom_id": cid, "response": None,
                "error": {"code": "request_timeout", "message": "The underlying call to the model timed out."}}
    if kind == "exception":  # an exception's text, as vllm run-batch writes any it catches, engine alive
        return {"id": line_id, "custom_id": cid, **_vllm(CUDA_OOM)}
    return crash_line(cid, line_id)


@pytest.mark.parametrize(
    "kind, reason, message",
    [
        ("server", "a server error", "The engine is currently overloaded"),
        ("rate", "a rate limit", "Rate limit reached"),
        ("timeout", "a timeout", "The underlying call to the model timed out."),
        ("crash", "an engine crash", ENGINE_DEAD),
        # Told "a server error", though no server answered: vllm run-batch wrote the exception itself.
        ("exception", "an engine exception", CUDA_OOM),
    ],
)
def test_status_tells_articles_asked_again_after_a_failure_that_passes_from_those_awaiting_a_reply(tmp_path, kind, reason, message):
    # Status counted an article whose request the engine failed in a way that passes, and which
    # the round asks again, as plainly waiting, like one never answered: only import's log said why.
    folder = seed_folder(tmp_path, "a.txt")
    shutil.copy(folder / "a.txt", folder / "b.txt")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL, max_retries=2))
    assert report.retrying == ()
    first, _second = [x for f in report.files for x in jobs.read_lines(f.path)]
    for attempt in (2, 3):  # each round's failure is one more attempt, of three (the first and two retries)
        results = tmp_path / f"r{attempt}.jsonl"
        results.write_text(json.dumps(_failed_at_engine(kind, first["custom_id"], attempt)) + "\n", encoding="utf-8")
        imported = jobs.import_results(out, results)
        told = jobs.status(out)  # from the job's folder alone, as a new process reads it
        (group,) = told.retrying
        assert (group.reason, group.attempt, group.attempts, group.articles, group.message) == (reason, attempt, 3, 1, message)
        assert group.source.endswith("a.txt") and imported.retrying == told.retrying
        assert (told.waiting, told.failed) == (2, 0)  # b, never answered, waits too: not retrying
        assert told.said_retrying() == f"1 retrying after {reason} (attempt {attempt} of 3)"
    # The last retry used up: failed for good, retrying no more.
    results = tmp_path / "r4.jsonl"
    results.write_text(json.dumps(_failed_at_engine(kind, first["custom_id"], 4)) + "\n", encoding="utf-8")
    assert jobs.import_results(out, results).retrying == jobs.status(out).retrying == ()
    assert (jobs.status(out).failed, jobs.status(out).waiting) == (1, 1)


def test_an_answer_after_a_failure_ends_the_retrying_and_a_refusal_is_never_retrying(tmp_path):
    folder = seed_folder(tmp_path, "a.txt")
    shutil.copy(folder / "a.txt", folder / "b.txt")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    first, second = [x for f in report.files for x in jobs.read_lines(f.path)]
    failed = tmp_path / "failed.jsonl"
    failed.write_text(
        json.dumps(_failed_at_engine("server", first["custom_id"], 1)) + "\n"
        + json.dumps(jobs.result_line(second["custom_id"], {"error": {"message": "bad request"}}, status=400)) + "\n",
        encoding="utf-8",
    )
    report = jobs.import_results(out, failed)
    assert (report.failed, report.waiting, len(report.retrying), report.retrying[0].attempts) == (1, 1, 1, 4)  # three retries by default
    answered = tmp_path / "answered.jsonl"
    answered.write_text(json.dumps(jobs.result_line(first["custom_id"], chat_body(first["body"]))) + "\n", encoding="utf-8")
    report = jobs.import_results(out, answered)
    assert (report.done, report.failed, report.retrying) == (1, 1, ())
    assert jobs.status(out).retrying == ()


def test_cli_status_says_which_articles_are_retrying_why_and_at_which_attempt(tmp_path, capsys):
    folder = seed_folder(tmp_path, "a.txt")
    for name in ("b.txt", "c.txt", "d.txt"):
        shutil.copy(folder / "a.txt", folder / name)
    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]) == 0
    a, b, c, _d = [x for f in jobs.status(out).files for x in jobs.read_lines(f.path)]
    results = tmp_path / "r.jsonl"
    results.write_text(
        "".join(json.dumps(_failed_at_engine(kind, line["custom_id"], 1)) + "\n" for kind, line in (("server", a), ("server", b), ("crash", c))),
        encoding="utf-8",
    )
    assert cli.main(["batch", "import", str(out), str(results)]) == 0
    capsys.readouterr()
    assert cli.main(["batch", "status", str(out)]) == 0
    err = capsys.readouterr().err
    assert (
        "0 done, 0 failed; round 1: 4 requests in 1 file(s) for 4 article(s): 2 retrying after a server error (attempt 2 of 4), "
        "1 retrying after an engine crash (attempt 2 of 4), 1 awaiting a first reply; answer them, then"
    ) in err, err
    assert f"retrying: {folder / 'a.txt'} and 1 more, attempt 2 of 4 after a server error: The engine is currently overloaded\n" in err
    assert f"retrying: {folder / 'c.txt'}, attempt 2 of 4 after an engine crash: {ENGINE_DEAD}\n" in err


@pytest.mark.parametrize(
    "error, why",
    [
        ({"code": "batch_expired", "message": "This request could not be executed before the completion window expired."},
         "the batch expired before running it"),
        ({"code": "batch_cancelled", "message": "The batch was cancelled."}, "the batch was cancelled before running it"),
        (None, "the engine gave no reply"),
    ],
)
def test_status_tells_articles_whose_request_came_back_unrun_from_those_awaiting_a_reply(tmp_path, capsys, caplog, error, why):
    # An expired batch's line was counted as "awaiting a first reply", and importing only such lines
    # warned "nothing new stored: every line answers a request whose reply is stored already".
    folder = seed_folder(tmp_path, "a.txt")
    shutil.copy(folder / "a.txt", folder / "b.txt")
    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]) == 0
    first, second = [x for f in jobs.status(out).files for x in jobs.read_lines(f.path)]
    unrun = tmp_path / "errors.jsonl"
    unrun.write_text(json.dumps({"id": "batch_req_1", "custom_id": first["custom_id"], "response": None, "error": error}) + "\n")
    caplog.clear()
    assert cli.main(["batch", "import", str(out), str(unrun)]) == 0
    assert f"errors.jsonl: 1 request(s) ({first['custom_id']}) came back unrun ({why}); asked again" in caplog.text
    assert "nothing new stored" not in caplog.text
    capsys.readouterr()
    assert cli.main(["batch", "status", str(out)]) == 0
    assert (
        f"0 done, 0 failed; round 1: 2 requests in 1 file(s) for 2 article(s): 1 asked again ({why}), 1 awaiting a first "
        "reply; answer them, then"
    ) in capsys.readouterr().err
    told = jobs.status(out)  # from the job's folder alone
    assert told.unanswered == ((why, 1),) and told.retrying == () and told.waiting_again == 1
    # Its request is still asked; answered, it is asked again no more.
    assert first["custom_id"] in {x["custom_id"] for f in told.files for x in jobs.read_lines(f.path)}
    answered = tmp_path / "answered.jsonl"
    answered.write_text(json.dumps(jobs.result_line(first["custom_id"], chat_body(first["body"]))) + "\n", encoding="utf-8")
    report = jobs.import_results(out, answered)
    assert (report.done, report.waiting, report.unanswered) == (1, 1, ()) and jobs.status(out).unanswered == ()
    # A failure after it speaks for the article instead: the round asks it again for that.
    failed = tmp_path / "failed.jsonl"
    failed.write_text(
        json.dumps({"id": "batch_req_2", "custom_id": second["custom_id"], "response": None, "error": error}) + "\n"
        + json.dumps(_failed_at_engine("server", second["custom_id"], 1)) + "\n",
        encoding="utf-8",
    )
    report = jobs.import_results(out, failed)
    assert report.unanswered == () and [g.reason for g in report.retrying] == ["a server error"]


def test_a_job_state_from_before_unrun_requests_were_kept_still_reads(tmp_path):
    _folder, out = exported_seed(tmp_path)
    shard_file = jobs.Job(out).reply_file(0)  # as an older version wrote it, without "unanswered"
    shard_file.parent.mkdir(parents=True, exist_ok=True)
    shard_file.write_text(json.dumps({"replies": {}, "failures": {}, "finished": {}}), encoding="utf-8")
    report = jobs.status(out)
    assert (report.waiting, report.unanswered, report.retrying) == (1, (), ())


@pytest.mark.parametrize("shape", ["string", "object"])
def test_a_huge_error_message_is_kept_cut_in_the_job_state(tmp_path, shape):
    # vLLM writes an error as a string beside a null body: 30 MB of it was stored whole, and read
    # and rewritten on every later pass.
    out = tmp_path / "job"
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL, max_retries=0)  # failed at once: no retry round
    report = jobs.export_round(seed_folder(tmp_path, "seed.txt"), out, settings=settings)
    (line,) = [x for f in report.files for x in jobs.read_lines(f.path)]
    huge = "engine exploded: " + "x" * 2_000_000
    error = huge if shape == "string" else {"message": huge, "code": "bad"}
    row = {"id": "vllm-1", "custom_id": line["custom_id"], "response": {"status_code": 400, "body": None}, "error": error}
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps(row) + "\n", encoding="utf-8")
    report = jobs.import_results(out, results)
    assert report.failed == 1
    (_source, message), = report.failures
    assert "engine exploded" in message
    assert sum(f.stat().st_size for f in (out / ".batch" / "replies").iterdir()) < 20_000


def test_a_context_length_failure_splits_the_chunk_as_online(tmp_path, caplog):
    folder = seed_folder(tmp_path, "seed.txt")
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=settings)
    (line,) = [x for f in report.files for x in jobs.read_lines(f.path)]
    error = {"error": {"message": "This model's maximum context length is 2048 tokens. However, you requested 3000 tokens "
                       "(1976 in the messages, 1024 in the completion).", "code": "context_length_exceeded"}}
    results = tmp_path / "r.jsonl"
    results.write_text(json.dumps(jobs.result_line(line["custom_id"], error, status=400)) + "\n", encoding="utf-8")
    report = jobs.import_results(out, results)
    maps = [x for f in report.files for x in jobs.read_lines(f.path)]
    assert len(maps) > 1 and all("Task: the text above is part" in m["body"]["messages"][-1]["content"] for m in maps)
    assert "in a way that passes" not in caplog.text  # a refusal, not a failure to ask again


def test_a_prompt_cut_by_the_engine_is_blamed_on_it_with_a_fix_a_job_can_take(tmp_path, caplog):
    # The job's base URL is where it would have been sent, not what answered: here vllm run-batch did.
    folder = seed_folder(tmp_path, "seed.txt")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="https://api.openai.com/v1", model=MODEL))
    usage = {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
    jobs.answer_round(report.files, tmp_path / "r.jsonl", lambda body: completion("An English summary.", usage=usage))
    with caplog.at_level(logging.WARNING, logger="summarize"):
        assert jobs.import_results(out, tmp_path / "r.jsonl").finished
    (message,) = [r.getMessage() for r in caplog.records if "prompt tokens" in r.getMessage()]
    assert message.startswith("the batch engine counted 10 prompt tokens")
    assert "api.openai.com" not in message and "num_ctx" not in message
    assert "new job" in message and "SUMMARIZE_CONTEXT_TOKENS" in message
    assert json.loads((out / "seed.json").read_text(encoding="utf-8"))["flags"] == ["prompt-cut"]


def test_state_alone_resumes_the_job_on_another_machine(tmp_path):
    folder = corpus_folder(tmp_path)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    shutil.rmtree(folder)  # the articles are gone; the job folder moves elsewhere
    moved = tmp_path / "elsewhere" / "job"
    shutil.move(str(out), moved)
    report = jobs.Report(**{**report.__dict__, "files": jobs.status(moved).files})
    answer_rounds(moved, report, tmp_path, chat_body)
    assert jobs.status(moved).done == 8 and len(list(moved.glob("*.md"))) == 8


def answer_rounds(out: Path, report: jobs.Report, results: Path, engine) -> tuple[list[dict], int]:
    """Every round of a job answered by ``engine`` in order: the lines sent, and how many rounds."""
    sent: list[dict] = []
    n = 0
    while not report.finished:
        n += 1
        sent += [line for f in report.files for line in jobs.read_lines(f.path)]
        jobs.answer_round(report.files, results / f"round-{n}.jsonl", engine)
        report = jobs.import_results(out, results / f"round-{n}.jsonl")
    return sent, n


# An article of thirty items that a 300-token chunk limit cuts in several chunks (as test_cli's).
PARTS = "\n".join(f"第{i}項：臺南市政府今天公布第{i}號防災演練報告，共有{i * 7}名市民參加。" for i in range(30))
CHUNKED = {"SUMMARIZE_CHUNK_TOKENS": "300", "SUMMARIZE_METHOD": "abstractive"}


def refuses_second_item(body: dict) -> bool:
    """The one chunk the scripted endpoint refuses for good (a 400): the one holding item 2."""
    return "第2項" in json.dumps(body["messages"], ensure_ascii=False)


def refusing_engine(line: dict) -> dict:
    """A batch engine that refuses the chunk holding item 2 and answers the rest."""
    if refuses_second_item(line["body"]):
        return jobs.result_line(line["custom_id"], {"error": {"message": "bad request"}}, status=400)
    return jobs.result_line(line["custom_id"], chat_body(line["body"]))


def chunked_folder(tmp_path: Path) -> Path:
    """A folder of the chunked article (a.txt) and the seed article (seed.txt, one request)."""
    folder = seed_folder(tmp_path, "seed.txt")
    (folder / "a.txt").write_text(PARTS, encoding="utf-8")
    return folder


def import_rounds(out: Path, tmp_path: Path, engine=refusing_engine, *, name: str = "round") -> tuple[list[dict], int]:
    """Every round of the job in ``out`` answered by ``engine`` (result lines) and imported through
    the command line: the lines sent, and the last import's exit status."""
    sent: list[dict] = []
    code, n = 0, 0
    while not jobs.status(out).finished:
        n += 1
        lines = [line for f in jobs.status(out).files for line in jobs.read_lines(f.path)]
        sent += lines
        results = tmp_path / f"{name}-{n}.jsonl"
        results.write_text("".join(json.dumps(engine(line), ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
        code = cli.main(["batch", "import", str(out), str(results)])
    return sent, code


def test_a_partial_job_matches_an_online_partial_batch(endpoint_env, tmp_path, monkeypatch, capsys):
    # export took no --partial: a job's article with one chunk refused for good failed whole,
    # where `summarize batch --partial` keeps the other chunks' summary, flagged.
    scripted = endpoint_env
    for name, value in CHUNKED.items():
        monkeypatch.setenv(name, value)
    folder = chunked_folder(tmp_path)
    scripted.default = lambda seen: (
        Step.error(400, {"error": {"message": "bad request"}}) if refuses_second_item(seen.body) else Step(body=chat_body(seen.body))
    )
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "online"), "--partial"]) == 0
    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--partial"]) == 0
    assert json.loads((out / jobs.STATE / "job.json").read_text(encoding="utf-8"))["partial"] is True
    sent, code = import_rounds(out, tmp_path)  # import reads --partial from the job's folder
    assert code == 0, capsys.readouterr().err
    assert sorted(canonical(line["body"]) for line in sent) == sorted(canonical(r.body) for r in scripted.chat_requests)
    assert outputs(out) == outputs(tmp_path / "online")
    record = json.loads((out / "a.json").read_text(encoding="utf-8"))
    assert record["is_partial"] is True and record["failed_chunks"] == [0]
    assert "> Partial:" in (out / "a.md").read_text(encoding="utf-8")


def test_a_partial_translation_job_matches_an_online_partial_translation_batch(endpoint_env, tmp_path, monkeypatch):
    import fake_translator
    from scripted_server import Seen

    scripted = endpoint_env
    for name, value in CHUNKED.items():
        monkeypatch.setenv(name, value)
    folder = chunked_folder(tmp_path)
    well = fake_translator.translator()

    def model(seen: Seen) -> Step:
        if fake_translator.is_translation(seen) and "第2項" in fake_translator.article(seen):
            return Step.error(400, {"error": {"message": "bad request"}})
        return well(seen)

    scripted.default = model
    assert cli.main(["batch", str(folder), "--out", str(tmp_path / "online"), "--translate", "--partial"]) == 0
    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--translate", "--partial"]) == 0

    def engine(line: dict) -> dict:
        step = model(Seen("POST", "/v1/chat/completions", {}, line["body"], 0.0))
        return jobs.result_line(line["custom_id"], step.body, status=step.status)

    sent, code = import_rounds(out, tmp_path, engine)
    assert code == 0
    assert sorted(canonical(line["body"]) for line in sent) == sorted(canonical(r.body) for r in scripted.chat_requests)
    assert outputs(out) == outputs(tmp_path / "online")
    record = json.loads((out / "a.json").read_text(encoding="utf-8"))
    empty = [i for i, pair in enumerate(record["pairs"]) if not pair[1]]
    assert 2 in empty and len(empty) < 30 and set(empty) <= set(record["unverified"])


def test_a_job_made_without_partial_fails_the_article_whole_and_takes_partial_when_exported_again(tmp_path, monkeypatch, capsys, caplog):
    for name, value in CHUNKED.items():
        monkeypatch.setenv(name, value)
    folder = chunked_folder(tmp_path)
    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]) == 0
    path = out / jobs.STATE / "job.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    assert meta["partial"] is False
    del meta["partial"]  # as a job made before jobs kept it: made without it
    path.write_text(json.dumps(meta), encoding="utf-8")
    capsys.readouterr()
    _sent, code = import_rounds(out, tmp_path)
    err = capsys.readouterr().err
    assert code == 1 and not (out / "a.json").exists() and (out / "seed.json").exists()
    # The job's own way to keep the others, not "Pass partial=True", which no import takes.
    assert re.search(
        rf"^failed: {re.escape(str(folder / 'a.txt'))}: chunk 1 of \d+ failed: the endpoint rejected the request.*\. "
        rf"Run `summarize batch export` or `submit` again on {re.escape(str(out))} with --partial to keep what the other "
        r"chunks gave, flagged\.$",
        err, re.MULTILINE,
    ), err
    assert "partial=True" not in err

    # import and status read the job's own: --partial given to them is refused, saying how to turn it on.
    results = next(tmp_path.glob("round-*.jsonl"))
    for argv in (["batch", "import", str(out), str(results), "--partial"], ["batch", "status", str(out), "--partial"]):
        with pytest.raises(SystemExit) as exit:
            cli.main(argv)
        assert exit.value.code == 2
        assert (
            f"summarize batch {argv[1]}: error: --partial is not taken here: a job keeps the --partial it was exported or "
            "submitted with, which this command reads from its folder; to turn it on, run `summarize batch export` or "
            "`submit` again with --partial"
        ) in capsys.readouterr().err

    # Exported again with --partial, the job takes it: its failed article is asked again, and kept partial.
    caplog.clear()
    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT, "--partial"]) == 0
    assert f"{out} holds a job started without --partial; it takes it from now on" in caplog.text
    assert "1 article(s) that failed are tried again" in caplog.text
    assert json.loads(path.read_text(encoding="utf-8"))["partial"] is True
    _sent, code = import_rounds(out, tmp_path, name="again")
    assert code == 0 and json.loads((out / "a.json").read_text(encoding="utf-8"))["is_partial"] is True
    # Left out later, the job keeps its own, without a word.
    caplog.clear()
    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]) == 0
    assert json.loads(path.read_text(encoding="utf-8"))["partial"] is True and "partial" not in caplog.text


def test_submit_takes_partial_for_a_new_job_and_turns_it_on_for_one_made_without_it(tmp_path, caplog):
    folder = chunked_folder(tmp_path)
    with BatchesServer(refusing_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, model=MODEL, chunk_tokens=300, method="abstractive")
        report = batch_api.submit(folder, tmp_path / "new", settings=settings, partial=True, poll=0.01)
        assert (report.done, report.failed) == (2, 0)
        assert json.loads((tmp_path / "new" / "a.json").read_text(encoding="utf-8"))["is_partial"] is True

        report = batch_api.submit(folder, tmp_path / "without", settings=settings, poll=0.01)
        assert (report.done, report.failed) == (1, 1) and "with --partial to keep" in report.failures[0][1]
        report = batch_api.submit(folder, tmp_path / "without", settings=settings, partial=True, poll=0.01)
        assert (report.done, report.failed) == (2, 0)
    assert "holds a job started without --partial; it takes it from now on" in caplog.text
    assert json.loads((tmp_path / "without" / "a.json").read_text(encoding="utf-8"))["is_partial"] is True
    assert outputs(tmp_path / "without") == outputs(tmp_path / "new")


@pytest.mark.parametrize("function", [jobs.export_round, batch_api.submit])
def test_a_partial_that_is_not_true_or_false_is_refused_before_anything_is_written(tmp_path, function):
    with pytest.raises(ConfigError, match="partial must be True or False, got 'yes'"):
        function(seed_folder(tmp_path), tmp_path / "job", settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL), partial="yes")
    assert not (tmp_path / "job").exists()


def test_a_markdown_title_shows_a_file_names_escapes_rather_than_acting_on_them(tmp_path):
    folder = seed_folder(tmp_path, "seed\x1b]0;owned\x07.txt")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL), formats=("md",))
    answer_rounds(out, report, tmp_path, chat_body)
    (written,) = out.glob("*.md")
    title = written.read_text(encoding="utf-8").splitlines()[0]
    assert title == "# seed\\x1b]0;owned\\x07.txt"


def test_cli_import_prints_the_next_round_and_lists_failures(endpoint_env, tmp_path, capsys):
    folder = corpus_folder(tmp_path)
    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--format", "json"]) == 0
    capsys.readouterr()
    report = jobs.status(out)
    results = tmp_path / "r.jsonl"
    rows = [
        jobs.result_line(line["custom_id"], {"error": {"message": "invalid key sk-zzz"}}, status=401)
        if n == 0 else jobs.result_line(line["custom_id"], chat_body(line["body"]))
        for n, line in enumerate(x for f in report.files for x in jobs.read_lines(f.path))
    ]
    results.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code = cli.main(["batch", "import", str(out), str(results)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.split() == [str(f.path) for f in jobs.status(out).files]
    assert "9 replies stored" in captured.err and "failed: " in captured.err and "check SUMMARIZE_API_KEY" in captured.err
    done = jobs.status(out).done
    assert 5 <= done < 8 and not list(out.glob("*.md")) and len(list(out.glob("*.json"))) == done


def test_commands_printed_for_a_job_folder_with_a_space_in_its_name_can_be_pasted(tmp_path, capsys):
    # "answer them, then `summarize batch import /tmp/my job RESULTS.jsonl`": pasted, it imported
    # "job" as a results file, "no such results file".
    folder = seed_folder(tmp_path, "a.txt")
    shutil.copy(folder / "a.txt", folder / "b.txt")
    out = tmp_path / "my job 工作"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]) == 0
    assert f"then `summarize batch import '{out}' RESULTS.jsonl`" in capsys.readouterr().err
    (out / "a.md").write_text("my notes\n", encoding="utf-8")  # in the way of a's result
    jobs.answer_round(jobs.status(out).files, tmp_path / "r.jsonl", chat_body)
    assert cli.main(["batch", "import", str(out), str(tmp_path / "r.jsonl")]) == 1
    err = capsys.readouterr().err
    assert f"then `summarize batch status '{out}'` writes the result" in err, err


def test_exporting_again_resumes_the_job_and_skips_articles_done_online(endpoint_env, tmp_path, capsys):
    folder = corpus_folder(tmp_path)
    out = tmp_path / "job"
    (tmp_path / "one").mkdir()
    shutil.copy(folder / "seed-qwen3-grok.txt", tmp_path / "one")
    assert cli.main(["batch", str(tmp_path / "one"), "--out", str(out)]) == 0  # done online first
    assert cli.main(["batch", "export", str(folder), "--out", str(out)]) == 0
    first = capsys.readouterr()
    assert "1 already done" in first.err and jobs.status(out).articles == 7
    before = snapshot(out)
    assert cli.main(["batch", "export", str(folder), "--out", str(out)]) == 0
    assert capsys.readouterr().out == first.out and snapshot(out) == before
    assert cli.main(["batch", "status", str(out)]) == 0
    assert "round 1: 8 requests in 1 file(s) for 7 article(s)" in capsys.readouterr().err


def test_exporting_again_names_the_articles_the_job_does_not_hold(tmp_path, capsys, caplog):
    # A file added to the folder, one whose text changed, or another folder given: "1 done,
    # 0 failed; every article is finished", exit 0, and those articles were never done.
    folder, out = exported_seed(tmp_path)
    report = jobs.status(out)
    answered = tmp_path / "r.jsonl"
    jobs.answer_round(report.files, answered, chat_body)
    assert jobs.import_results(out, answered).done == 1
    export = ["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]
    caplog.clear()
    assert cli.main(export) == 0
    assert "lacks" not in caplog.text  # the same articles: nothing to say
    (folder / "b.txt").write_text((folder / "a.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "c.txt").write_text("新的文章。", encoding="utf-8")  # done online: its outputs are there
    (out / "c.md").write_text("# c.txt\n\n## Summary (English)\n\nDone online.\n", encoding="utf-8")
    (out / "c.json").write_text(json.dumps({"summaries": {"en": "Done online."}}), encoding="utf-8")
    with open(folder / "a.txt", "a", encoding="utf-8") as text:
        text.write("\n記者補充一段。\n")
    capsys.readouterr()
    caplog.clear()
    assert cli.main(export) == 0
    assert "1 done, 0 failed; every article is finished" in capsys.readouterr().err
    (warning,) = [r.getMessage() for r in caplog.records if "lacks" in r.getMessage()]
    assert warning == (
        f"{out} already holds a job, which lacks 2 of the articles given, as they are now: {folder / 'a.txt'} (changed "
        f"since the job was started), {folder / 'b.txt'} (new); resuming it with the articles it was started with, so "
        "these are not summarized (give another --out for a new job of them)"
    )  # c.txt is not named: its outputs are there, as online it is done
    other = tmp_path / "other"
    other.mkdir()
    for name in ("a", "d", "e", "f"):
        (other / f"{name}.txt").write_text(f"{name}：另一份報導。", encoding="utf-8")
    caplog.clear()
    assert cli.main(["batch", "export", str(other), "--out", str(out), *OFFLINE_ENDPOINT]) == 0
    assert f"lacks 4 of the articles given, as they are now: {other / 'a.txt'} (changed since the job was started), " \
           f"{other / 'd.txt'} (new), {other / 'e.txt'} (new), and 1 more; resuming it" in caplog.text


def test_exporting_again_names_unfinished_articles_gone_from_those_given(tmp_path, caplog):
    # An article removed from the folder (or renamed) after the export was still summarized
    # from the text the job stored, without a word. A finished one gone is not named.
    folder = seed_folder(tmp_path, "a.txt")
    for name in ("b", "c", "d", "e"):
        shutil.copy(folder / "a.txt", folder / f"{name}.txt")
    out = tmp_path / "job"
    export = ["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]
    assert cli.main(export) == 0
    answered = tmp_path / "r.jsonl"
    jobs.answer_round(jobs.status(out).files, answered, chat_body)
    (finished,) = [line for line in answered.read_text(encoding="utf-8").splitlines() if '"a0000000-' in line]
    answered.write_text(finished + "\n", encoding="utf-8")
    assert jobs.import_results(out, answered).done == 1
    caplog.clear()
    assert cli.main(export) == 0
    assert "no longer among" not in caplog.text  # the same articles: nothing to say
    for name in ("a", "b", "c", "d", "e"):
        (folder / f"{name}.txt").unlink()
    (folder / "f.txt").write_text("新的文章。", encoding="utf-8")
    caplog.clear()
    assert cli.main(export) == 0
    (warning,) = [r.getMessage() for r in caplog.records if "no longer among" in r.getMessage()]
    assert warning == (
        f"{out} holds 4 unfinished article(s) that are no longer among the articles given: {folder / 'b.txt'}, "
        f"{folder / 'c.txt'}, {folder / 'd.txt'}, and 1 more; the job still summarizes the text it stored of them "
        "(give another --out for a new job without them)"
    )
    assert f"lacks 1 of the articles given, as they are now: {folder / 'f.txt'} (new)" in caplog.text


def test_submitting_again_names_the_articles_the_job_does_not_hold(tmp_path, caplog):
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, model=MODEL)
        assert batch_api.submit(folder, out, settings=settings, poll=0.01).done == 1
        shutil.copy(folder / "a.txt", folder / "b.txt")
        assert batch_api.submit(folder, out, settings=settings, poll=0.01).done == 1
    assert f"lacks 1 of the articles given, as they are now: {folder / 'b.txt'} (new); resuming it" in caplog.text


def test_export_refuses_two_articles_that_would_write_the_same_outputs(tmp_path):
    from summarize.batch import BatchError

    folder = tmp_path / "news"
    (folder / "sub").mkdir(parents=True)
    text = (CORPUS / "seed-qwen3-grok.txt").read_text(encoding="utf-8")
    for name in ("a.txt", "a.md", "b.txt", "sub/a.txt"):
        (folder / name).write_text(text, encoding="utf-8")
    out = tmp_path / "job"
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    for spec in (folder, str(folder / "**" / "*.*"), sorted(folder.rglob("*.*"))):
        with pytest.raises(BatchError) as refused:
            jobs.export_round(spec, out, settings=settings)
        message = str(refused.value)
        assert f"{folder / 'a.md'} and {folder / 'a.txt'}" in message or f"{folder / 'a.txt'} and {folder / 'a.md'}" in message
        assert str(out / "a.json") in message and "rename one" in message
        assert not jobs.Job(out).exists and not [p for p in out.rglob("*") if p.is_file()]
    (folder / "a.md").rename(folder / "c.md")
    assert jobs.export_round(folder, out, settings=settings).articles == 4  # a.txt and sub/a.txt differ


def test_a_file_named_twice_in_a_list_is_one_article_with_a_warning(tmp_path, caplog, monkeypatch):
    # news/a.txt given twice (or as news/a.txt and /abs/news/a.txt) was two articles of one job:
    # its requests paid twice, both writing the same outputs; the second spelling was refused as
    # "would both be written to" ... "rename one". Online, a file named twice is summarized once.
    folder = seed_folder(tmp_path, "a.txt")
    shutil.copy(folder / "a.txt", folder / "b.txt")
    monkeypatch.chdir(tmp_path)
    named = [Path("news/a.txt"), folder / "a.txt", "news/b.txt", Path("news") / "a.txt"]
    report = jobs.export_round(named, tmp_path / "job", settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    assert (report.articles, report.requests) == (2, 2)
    warned = [r.getMessage() for r in caplog.records if "named twice" in r.getMessage()]
    assert warned == [f"{folder / 'a.txt'} is named twice; it is summarized once", "news/a.txt is named twice; it is summarized once"]


def test_a_job_whose_job_json_was_lost_is_not_mixed_with_a_new_one(tmp_path):
    folder = corpus_folder(tmp_path)
    out = tmp_path / "job"
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    report = jobs.export_round(folder, out, settings=settings)
    jobs.answer_round(report.files, tmp_path / "r.jsonl", chat_body)
    jobs.import_results(out, tmp_path / "r.jsonl")
    (out / jobs.STATE / "job.json").unlink()
    # The finished articles' outputs are skipped: a new job would number the rest from a0000000,
    # under which the old replies are stored.
    with pytest.raises(jobs.JobError, match=f"{out / jobs.STATE} holds an earlier job's state .*remove {out / jobs.STATE}"):
        jobs.export_round(folder, out, settings=settings)
    assert not jobs.Job(out).exists
    shutil.rmtree(out / jobs.STATE)
    report = jobs.export_round(folder, out, settings=settings)
    assert report.skipped > 0 and report.done == 0 and report.waiting == report.articles


INTERRUPTED_IMPORT = """
import asyncio, os, signal, sys
from summarize import cli, jobs

real, seen = jobs.replay_article, []

async def replay(*args):
    # The third article's replay is under way, with tasks of its own, when Ctrl-C comes.
    seen.append(1)
    task = asyncio.ensure_future(real(*args))
    if len(seen) == 3:
        await asyncio.sleep(0)
        os.kill(os.getpid(), signal.SIGINT)
    return await task

jobs.replay_article = replay
sys.exit(cli.main(sys.argv[1:]))
"""


def test_ctrl_c_during_an_import_is_one_line_and_the_job_resumes(tmp_path):
    # It was followed by ~50 lines: "Exception ignored in: <coroutine object replay_article>",
    # "<Token ...> was created in a different Context", "Task exception was never retrieved".
    folder = tmp_path / "news"
    folder.mkdir()
    for n in range(5):
        shutil.copy(CORPUS / "seed-qwen3-grok.txt", folder / f"a{n}.txt")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    results = tmp_path / "results.jsonl"
    jobs.answer_round(report.files, results, lambda body: {**chat_body(body), "model": body["model"]})
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMARIZE_")}
    command = [sys.executable, "-c", INTERRUPTED_IMPORT, "batch", "import", str(out), str(results)]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 130
    assert run.stderr == (
        "summarize: interrupted; run it again to resume (the job's state is kept in its folder)\n"
    )
    resumed = jobs.import_results(out, results)
    assert resumed.done == 5 and resumed.finished


def test_a_lost_request_file_is_written_again_by_status_export_and_import(tmp_path, capsys, caplog):
    # Removed (cleaned up, or given to an engine as its -o), it was never written again: the same
    # requests made the same digest, so the round "out there" was kept, and every command
    # printed a path that did not exist.
    folder, out = exported_seed(tmp_path)
    request_file = Path(capsys.readouterr().out.strip())
    original = request_file.read_bytes()
    (line,) = jobs.read_lines(request_file)
    expired = tmp_path / "expired.jsonl"  # answers the request with nothing: the round stays as it is
    expired.write_text(json.dumps({"custom_id": line["custom_id"], "response": None, "error": {"code": "batch_expired"}}) + "\n")
    for command in (["status", str(out)], ["export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT], ["import", str(out), str(expired)]):
        shutil.rmtree(out / jobs.STATE / "rounds")
        caplog.clear()
        assert cli.main(["batch", *command]) == 0
        assert capsys.readouterr().out.strip() == str(request_file)
        assert request_file.read_bytes() == original, command
        assert f"{request_file} was missing; written again (the same 1 requests)" in caplog.text
    assert len(jobs.rounds(out)) == 1  # the same round, not a new one


def test_import_refuses_files_that_answer_none_of_the_jobs_requests_and_stores_nothing(tmp_path, capsys):
    # Another job's results were "9 replies stored" (exit 0, junk in the state), the request file
    # "0 replies stored", a binary file "unknown custom_id", and a missing file a raw [Errno 2], exit 1.
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    folders = {}
    for name in ("a", "b"):
        folders[name] = tmp_path / f"news-{name}"
        folders[name].mkdir()
        shutil.copy(CORPUS / "seed-qwen3-grok.txt", folders[name] / f"{name}.txt")
    other = jobs.export_round(folders["a"], tmp_path / "job-a", settings=settings, languages=("zh-Hant",))
    report = jobs.export_round(folders["b"], tmp_path / "job-b", settings=settings)
    others = tmp_path / "others.jsonl"
    jobs.answer_round(other.files, others, chat_body)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(1, 256)) * 40)
    state = tmp_path / "job-b" / jobs.STATE
    before = snapshot(state)
    job = tmp_path / "job-b"
    rounds = state / "rounds"
    for results, says in [
        (others, f"none of the 1 line(s) of {others} answers a request of the job in {job} (they answer requests "
                 f"this job did not write (another job's results?)); nothing was stored: give the results of its "
                 f"request files under {rounds}"),
        (report.files[0].path, f"{report.files[0].path} is a request file: its 1 line(s) ask, none answers; give "
                               "the results file the batch engine wrote for it (nothing was stored)"),
        (junk, f"of {junk} answers a request of the job in {job} (none is JSON); nothing was stored"),
        (tmp_path / "nope.jsonl", f"{tmp_path / 'nope.jsonl'}: no such results file: give the file(s) the batch "
                                  "engine wrote for this job's requests"),
    ]:
        assert cli.main(["batch", "import", str(job), str(results)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("summarize batch import: error: ") and says in err and err.count("\n") == 1, err
        assert snapshot(state) == before
    mine = tmp_path / "mine.jsonl"
    jobs.answer_round(report.files, mine, chat_body)
    assert cli.main(["batch", "import", str(job), str(mine), str(tmp_path / "empty.jsonl")]) == 2  # checked first
    assert snapshot(state) == before
    # An empty file (an engine that crashed, a failed download) answers none of the requests:
    # it was taken, "0 replies stored", exit 0, though README says such a file is refused.
    for blank in ("", "\n \n"):
        (tmp_path / "empty.jsonl").write_text(blank, encoding="utf-8")
        for given in ([str(tmp_path / "empty.jsonl")], [str(mine), str(tmp_path / "empty.jsonl")]):
            assert cli.main(["batch", "import", str(job), *given]) == 2
            err = capsys.readouterr().err
            assert f"error: {tmp_path / 'empty.jsonl'} is empty: it holds no result line, so it answers none of the job's " \
                   f"requests; nothing was stored: give the results of its request files under {rounds}" in err, err
            assert snapshot(state) == before
    assert jobs.import_results(job, mine).done == 1


def test_a_results_line_cut_short_is_named_so_and_its_request_asked_again(tmp_path, caplog, capsys):
    # It was "1 result line(s) are not this job's requests (unknown custom_id)": a partial
    # download read as another job's results.
    folder = seed_folder(tmp_path, "a.txt")
    shutil.copy(folder / "a.txt", folder / "b.txt")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    whole = tmp_path / "r.jsonl"
    jobs.answer_round(report.files, whole, chat_body)
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(whole.read_bytes()[:-50])
    assert cli.main(["batch", "import", str(out), str(cut)]) == 0
    assert "1 replies stored; 1 done, 0 failed; round 2: 1 requests" in capsys.readouterr().err
    assert f"{cut}: its last line (line 2) is not complete JSON: the file ends inside it, cut short (a partial download" in caplog.text
    assert "its request is asked again in the next round" in caplog.text
    assert "unknown custom_id" not in caplog.text
    caplog.clear()
    garbled = tmp_path / "garbled.jsonl"
    garbled.write_text("{oops\n" + whole.read_text(encoding="utf-8"), encoding="utf-8")
    assert jobs.import_results(out, garbled).done == 2
    assert f"{garbled}: 1 line(s) are not JSON (the first is line 1); skipped" in caplog.text and "unknown custom_id" not in caplog.text
    line = next(jobs.read_lines(report.files[0].path))
    alone = tmp_path / "alone.jsonl"  # one line, cut: nothing in it answers, so it is refused
    alone.write_text(json.dumps(jobs.result_line(line["custom_id"], chat_body(line["body"])))[:-20], encoding="utf-8")
    assert cli.main(["batch", "import", str(out), str(alone)]) == 2
    assert "(none is complete JSON: the file ends inside its last line, cut short: a partial download?)" in capsys.readouterr().err


def test_results_piped_in_are_read(tmp_path):
    # "/dev/stdin: no such results file": a pipe is no regular file, and was refused as missing.
    folder, out = seed_folder(tmp_path), tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    results = tmp_path / "r.jsonl"
    jobs.answer_round(report.files, results, chat_body)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZE_", "OPENAI_"))}
    env.update(PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "summarize", "batch", "import", str(out), "/dev/stdin"]
    run = subprocess.run(command, input=results.read_bytes(), capture_output=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert b"1 replies stored; 1 done, 0 failed; every article is finished" in run.stderr
    assert (out / "a.md").is_file() and not list((out / jobs.STATE).glob(".results-*"))  # the copy is gone


def test_a_reply_too_large_for_its_request_is_not_stored_and_good_results_later_finish_the_job(tmp_path, caplog):
    # Stored whole (19 MB of state) and then refused by the replay, it failed the articles for
    # good: correct results imported later changed nothing, and the error blamed SUMMARIZE_BASE_URL.
    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("a", "b"):
        shutil.copy(CORPUS / "seed-qwen3-grok.txt", folder / f"{name}.txt")
        (folder / f"{name}.txt").write_text(f"{name}。" + (folder / f"{name}.txt").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    lines = [line for f in report.files for line in jobs.read_lines(f.path)]
    limit = lines[0]["body"]["max_tokens"]
    huge = tmp_path / "huge.jsonl"
    huge.write_text(
        "".join(json.dumps(jobs.result_line(line["custom_id"], completion("x" * max_reply_bytes(limit)))) + "\n" for line in lines),
        encoding="utf-8",
    )
    bad = jobs.import_results(out, huge)
    assert bad.stored == 0 and bad.failed == 0 and bad.waiting == 2 and bad.files
    # One line for the file, not one per reply (a large bad file printed thousands).
    (warning,) = [r.getMessage() for r in caplog.records if str(huge) in r.getMessage()]
    assert warning.startswith(f"{huge}: 2 replies are larger than their requests' token limits can produce "
                              f"(the reply to {lines[0]['custom_id']} is ")
    assert f"more than its {limit} tokens can produce" in warning and "not stored, so they are asked again" in warning
    assert sum(p.stat().st_size for p in (out / jobs.STATE).rglob("*.json")) < 100_000
    good = tmp_path / "good.jsonl"
    jobs.answer_round(bad.files, good, chat_body)
    assert jobs.import_results(out, good).done == 2


def test_exporting_again_tries_the_failed_articles_again(tmp_path, capsys, caplog):
    # A failed article stayed failed: there was no way to have it asked again, as a rerun of an
    # online batch does.
    folder, out = exported_seed(tmp_path, "seed.txt")
    (line,) = [x for f in jobs.status(out).files for x in jobs.read_lines(f.path)]
    refused = tmp_path / "refused.jsonl"
    refused.write_text(json.dumps(jobs.result_line(line["custom_id"], {"error": {"message": "bad request"}}, status=400)) + "\n")
    capsys.readouterr()
    assert cli.main(["batch", "import", str(out), str(refused)]) == 1
    err = capsys.readouterr().err
    assert f"to try the failed articles again, run `summarize batch export` again with --out {out}" in err
    assert cli.main(["batch", "status", str(out)]) == 1  # status does not retry
    capsys.readouterr()

    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]) == 0
    assert "0 done, 0 failed; round 3: 1 requests" in capsys.readouterr().err
    assert "1 article(s) that failed are tried again: their requests are asked anew" in caplog.text
    again = [x for f in jobs.status(out).files for x in jobs.read_lines(f.path)]
    assert [x["custom_id"] for x in again] == [line["custom_id"]]
    answered = tmp_path / "answered.jsonl"
    jobs.answer_round(jobs.status(out).files, answered, chat_body)
    assert jobs.import_results(out, answered).done == 1


@pytest.mark.parametrize("action", ["import", "status"])
@pytest.mark.parametrize(
    "option", [["--model", "other"], ["--base-url", "http://nowhere.invalid/v1"], ["--preset", "ollama"],
               ["--no-cache"], ["--concurrency", "1"]],
    ids=["model", "base-url", "preset", "no-cache", "concurrency"],
)
def test_import_and_status_refuse_endpoint_options_they_would_ignore(tmp_path, capsys, action, option):
    # They were accepted and ignored: the job's own settings shape every request and reply.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    results = tmp_path / "r.jsonl"
    jobs.answer_round(report.files, results, chat_body)
    before = snapshot(out)
    args = [str(out), str(results)] if action == "import" else [str(out)]
    # After the folder, before it, and before the command name: the last was "unrecognized
    # arguments: --model OUT", the option's value taken for the folder.
    for argv in (["batch", action, *args, *option], ["batch", action, *option, *args], [*option, "batch", action, *args]):
        with pytest.raises(SystemExit) as exit:
            cli.main(argv)
        assert exit.value.code == 2
        err = capsys.readouterr().err
        assert f"summarize batch {action}: error: {option[0]} is not taken here: this command reads the job's own settings" in err
        assert "unrecognized" not in err
    assert snapshot(out) == before


@pytest.mark.parametrize("action", ["export", "submit"])
@pytest.mark.parametrize(
    "option, says",
    [(["--no-cache"], "never from the response cache"), (["--concurrency", "4"], "decides how many at once")],
    ids=["no-cache", "concurrency"],
)
def test_export_and_submit_refuse_the_options_a_batch_engine_makes_moot(tmp_path, capsys, action, option, says):
    # They were taken and did nothing: no reply of a job comes from the response cache, and the
    # batch engine, not summarize, runs its requests.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    with pytest.raises(SystemExit) as exit:
        cli.main(["batch", action, str(folder), "--out", str(out), "--model", MODEL, *option])
    assert exit.value.code == 2
    assert f"summarize batch {action}: error: {option[0]} is not taken here: " in (err := capsys.readouterr().err)
    assert says in err
    assert not out.exists()


def test_export_help_says_the_model_is_required_as_export_does(tmp_path, capsys):
    # The help promised "default: the only one the endpoint lists"; export refused without one.
    with pytest.raises(SystemExit):
        cli.main(["batch", "export", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "the only one the endpoint lists" not in help_text
    assert "--model MODEL model name written into every request (SUMMARIZE_MODEL); required" in help_text
    folder = seed_folder(tmp_path)
    assert cli.main(["batch", "export", str(folder), "--out", str(tmp_path / "job")]) == 2
    assert "set SUMMARIZE_MODEL or pass --model" in capsys.readouterr().err


def test_a_reply_from_another_model_or_a_second_different_answer_is_named_with_its_file(tmp_path, caplog):
    # Both were taken without a word: the record then said "some-other-model", or the first text.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    (line,) = [x for f in report.files for x in jobs.read_lines(f.path)]
    cid = line["custom_id"]
    first = {**chat_body(line["body"]), "model": "some-other-model"}
    second = completion("Another English summary of the article.", model=f"{MODEL}-2025-04-28")
    results = tmp_path / "r.jsonl"
    results.write_text("".join(json.dumps(jobs.result_line(cid, b, line_id=f"l{n}")) + "\n" for n, b in enumerate((first, second))))
    assert jobs.import_results(out, results).done == 1
    assert f"{results}: 1 reply(ies) ({cid}, ...) were written by model some-other-model, not the {MODEL} asked" in caplog.text
    assert f"{results}: 1 request(s) ({cid}, ...) are answered again, with other text than the reply stored" in caplog.text
    assert f"{MODEL}-2025-04-28" not in caplog.text  # a dated snapshot of the model asked is the same model


def test_an_unknown_job_folder_says_how_to_start_one(tmp_path, capsys):
    assert cli.main(["batch", "import", str(tmp_path / "nothing"), str(tmp_path / "r.jsonl")]) == 1
    assert "summarize batch export DIR --out" in capsys.readouterr().err


def test_a_file_for_the_job_folder_is_named_so(tmp_path, capsys):
    # "a.txt/.batch/job.json is damaged ([Errno 20] Not a directory ...): remove a.txt/.batch".
    folder = seed_folder(tmp_path)
    for command in (["status", str(folder / "a.txt")], ["import", str(folder / "a.txt"), str(folder / "a.txt")]):
        assert cli.main(["batch", *command]) == 1
        err = capsys.readouterr().err
        assert err == (
            f"summarize batch {command[0]}: error: {folder / 'a.txt'} is a file, not a job folder: give the folder "
            "that was given to `summarize batch export --out`\n"
        )


# -- submit ----------------------------------------------------------------------------------


def batch_engine(line: dict) -> dict:
    return jobs.result_line(line["custom_id"], chat_body(line["body"]))


def test_submit_runs_every_round_through_the_batches_api(tmp_path, monkeypatch):
    folder = corpus_folder(tmp_path)
    progress: list[str] = []
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, retry_backoff=0.01)  # the model comes from /models
        report = batch_api.submit(folder, tmp_path / "job", settings=settings, poll=0.01, on_progress=progress.append)
        assert report.finished and report.done == 8
        rounds = [r for r in jobs.rounds(tmp_path / "job") if r["files"]]
        # Round 1: every map and single request; round 2: one re-ask (the long article's two notes
        # are its summary).
        assert server.count("POST", "/v1/files") == server.count("POST", "/v1/batches") == len(rounds) == 2
    assert outputs(tmp_path / "job").keys() == {f"{p.stem}.{ext}" for p in folder.glob("*.txt") for ext in ("md", "json")}
    assert any("in_progress" in line for line in progress) and "every article is finished" in progress[-1]


def test_submit_says_a_round_asks_an_article_again_after_a_server_error(tmp_path):
    failed: set[str] = set()

    def overloaded_once(line: dict) -> dict:
        if line["custom_id"] not in failed:
            failed.add(line["custom_id"])
            return _failed_at_engine("server", line["custom_id"], 1)
        return batch_engine(line)

    progress: list[str] = []
    with BatchesServer(overloaded_once, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, model=MODEL)
        report = batch_api.submit(seed_folder(tmp_path), tmp_path / "job", settings=settings, poll=0.01, on_progress=progress.append)
    assert report.done == 1 and report.retrying == ()
    assert "round 1 imported: 1 replies stored; 0 done, 0 failed, 1 waiting (1 retrying after a server error (attempt 2 of 4))" in progress


def test_submit_resumes_after_being_killed_mid_poll(tmp_path):
    folder = corpus_folder(tmp_path)
    out = tmp_path / "job"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUMMARIZE_", "OPENAI_"))}
    env.update(SUMMARIZE_CACHE="0", SUMMARIZE_MODEL=MODEL, SUMMARIZE_RETRY_BACKOFF="0.01", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "summarize", "batch", "submit", str(folder), "--out", str(out), "--poll", "0.02"]
    with BatchesServer(batch_engine) as server:
        env["SUMMARIZE_BASE_URL"] = server.base_url
        server.hold = True
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Generous bounds, which only cap how long a failure takes: with three test runs sharing
        # two cores, the test failed once within the 30 s and 60 s it had.
        deadline = time.monotonic() + 120
        while server.count("GET", r"/v1/batches/batch_1") < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.kill()
        first.communicate(timeout=10)
        assert server.count("GET", r"/v1/batches/batch_1") >= 3, "the first run should have been polling"
        recorded = jobs.rounds(out)[0]["files"][0]
        assert recorded["batch_id"] == "batch_1" and "status" not in recorded

        server.hold = False
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
        assert second.returncode == 0, second.stderr
        assert "every article is finished" in second.stderr
        # The interrupted round was polled again, not uploaded or created twice.
        assert server.count("POST", "/v1/files") == server.count("POST", "/v1/batches") == 2
        assert server.count("GET", r"/v1/batches/batch_1") > 3
    assert jobs.status(out).done == 8


def test_submit_interrupted_while_importing_imports_the_same_results_when_run_again(tmp_path, monkeypatch):
    # Ctrl-C after one shard of a round's downloaded results was stored: run again, submit wrote
    # the requests not stored yet as a new round and uploaded it, so the answers it had
    # downloaded were paid for again, and never imported.
    monkeypatch.setattr(jobs, "SHARD_SIZE", 1)  # two articles, two shards
    folder = seed_folder(tmp_path, "a.txt")
    shutil.copy(CORPUS / "tainan-ai-youth-governance-press-release-2025.zh-Hant.txt", folder / "b.txt")
    out = tmp_path / "job"
    save = jobs.Job.save_shard

    def interrupted(self, number, shard):
        save(self, number, shard)
        raise KeyboardInterrupt

    with BatchesServer(batch_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, model=MODEL)
        monkeypatch.setattr(jobs.Job, "save_shard", interrupted)
        with pytest.raises(KeyboardInterrupt):
            batch_api.submit(folder, out, settings=settings, poll=0.01)
        monkeypatch.setattr(jobs.Job, "save_shard", save)
        assert server.count("POST", "/v1/batches") == 1
        report = batch_api.submit(folder, out, settings=settings, poll=0.01)
        assert (report.done, report.failed) == (2, 0)
        assert server.count("POST", "/v1/files") == server.count("POST", "/v1/batches") == 1


def test_submit_sends_an_unanswered_round_again_and_gives_up_when_nothing_comes_back(tmp_path):
    folder = seed_folder(tmp_path, "seed.txt")
    answered: list[int] = []

    def expiring(line):  # the first batch expires before answering anything; later ones work
        answered.append(1)
        return None if len(answered) == 1 else batch_engine(line)

    with BatchesServer(expiring, models=[MODEL]) as server:
        report = batch_api.submit(folder, tmp_path / "job", settings=Settings(base_url=server.base_url), poll=0.01)
        assert report.done == 1 and server.count("POST", "/v1/batches") == 2
    with BatchesServer(lambda line: None, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, max_retries=1)
        with pytest.raises(jobs.JobError, match="without answering any request"):
            batch_api.submit(folder, tmp_path / "job2", settings=settings, poll=0.01)
        assert server.count("POST", "/v1/batches") == 2


def test_submitting_a_finished_job_again_tries_its_failed_articles_again(tmp_path, capsys, caplog):
    # It said "every article is finished" and stopped: only export run again retried them, and
    # the advice printed named export, not the submit the job was run with.
    folder = seed_folder(tmp_path, "seed.txt")
    out = tmp_path / "job"
    refused = lambda line: jobs.result_line(line["custom_id"], {"error": {"message": "bad request"}}, status=400)  # noqa: E731
    with BatchesServer(refused, models=[MODEL]) as server:
        argv = ["batch", "submit", str(folder), "--out", str(out), "--base-url", server.base_url, "--poll", "0.01"]
        for run, (engine, code) in enumerate(((refused, 1), (refused, 1), (batch_engine, 0)), 1):
            server.engine = engine
            assert cli.main(argv) == code
            err = capsys.readouterr().err
            assert server.count("POST", "/v1/batches") == run, err  # each run asks the article anew
            if code:
                assert "0 done, 1 failed" in err
                assert f"to try the failed articles again, run `summarize batch submit` again with --out {out}" in err
    assert "every article is finished; results in" in err and "1 done, 0 failed" in err
    assert caplog.text.count("1 article(s) that failed are tried again") == 2
    assert (out / "seed.md").exists()
    assert "resuming it there" not in caplog.text


def test_submitting_a_job_again_elsewhere_says_it_is_resumed_at_its_own_endpoint(tmp_path, caplog):
    # The --base-url and --model given were ignored without a word: the job's batches live at
    # its own endpoint, and its requests name its own model.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        jobs.export_round(folder, out, settings=Settings(base_url=server.base_url, model=MODEL))
        elsewhere = Settings(base_url="http://127.0.0.1:9/v1", model="other-model")
        assert batch_api.submit(folder, out, settings=elsewhere, poll=0.01).done == 1
        assert server.count("POST", "/v1/batches") == 1
    assert f"{out} already holds a job for endpoint {server.base_url}, not http://127.0.0.1:9/v1; resuming it there" in caplog.text
    assert f"{out} already holds a job for model {MODEL}, not other-model; resuming it there" in caplog.text


def test_submit_of_an_exported_job_never_sent_refuses_another_endpoint_instead_of_sending_there(tmp_path, monkeypatch, capsys):
    # Exported without --base-url (its requests shaped for OpenAI's API), then submitted with
    # --base-url and a key: "resuming it there", and the articles and that key went to
    # api.openai.com, which the user never named; every --base-url given after was ignored too.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    assert cli.main(["batch", "export", str(folder), "--out", str(out), "--model", MODEL]) == 0
    before = snapshot(out)
    capsys.readouterr()
    monkeypatch.setenv("SUMMARIZE_API_KEY", "sk-for-the-server-0123456789")
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        given = ["batch", "submit", str(folder), "--out", str(out), "--base-url", server.base_url, "--poll", "0.01"]
        assert cli.main(given) == 2
        assert not server.calls
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "resuming it there" not in err, err
    assert (
        f"{out} holds a job exported for https://api.openai.com/v1 (OpenAI's API, the default when export is given "
        f"no --base-url or --preset), not {server.base_url}, and none of it was sent yet: nothing was sent now either; "
        f"to send it to {server.base_url}, export it again with --base-url {server.base_url} (or its --preset) and "
        "another --out (its requests are shaped for the endpoint they go to)"
    ) in err, err
    assert snapshot(out) == before


def test_a_job_resumed_without_an_endpoint_given_names_none_it_was_not_given(tmp_path, caplog):
    # Given no endpoint at all, submit warned "already holds a job for endpoint ..., not
    # https://api.openai.com/v1": a default nobody gave.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        jobs.export_round(folder, out, settings=Settings(base_url=server.base_url, model=MODEL))
        assert batch_api.submit(folder, out, settings=Settings(model=MODEL), poll=0.01).done == 1
    assert "api.openai.com" not in caplog.text and "resuming it there" not in caplog.text


def test_submitting_a_job_again_for_other_work_says_it_resumes_it_as_started(tmp_path, caplog):
    # Export said so; submit ignored --translate and --languages given for an existing job without a word.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, model=MODEL)
        jobs.export_round(folder, out, settings=settings)
        assert batch_api.submit(folder, out, settings=settings, translate=True, poll=0.01).done == 1
    assert "holds a job for a summary in en, not a translation into en; resuming it as it was started" in caplog.text
    assert "resuming it there" not in caplog.text


def test_exporting_a_job_again_with_other_settings_says_it_resumes_it_as_started(tmp_path, caplog):
    # A new --method, summary length, temperature, output limit or glossary was silently ignored.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    started = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL, method="abstractive")
    jobs.export_round(folder, out, settings=started)
    before = snapshot(out)
    glossary = tmp_path / "names.tsv"
    glossary.write_text("黃偉哲\tHuang Wei-che\n", encoding="utf-8")
    caplog.clear()
    jobs.export_round(folder, out, settings=started.replace(method="key-sentences", summary_words=40, temperature=0.9, glossary=str(glossary)))
    assert (
        f"{out} already holds a job started with method 'abstractive', not 'key-sentences'; summary_words 150, not 40; "
        f"temperature 0.2, not 0.9; its own glossary entries, not those of '{glossary}'; resuming it as it was started"
    ) in caplog.text
    assert snapshot(out) == before  # and resumed as it was: nothing rewritten
    caplog.clear()
    jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    assert "started with" not in caplog.text  # defaults left as they are ask nothing otherwise


def test_submit_judges_an_openai_key_against_the_jobs_own_endpoint(tmp_path):
    # Resumed in a shell with only OPENAI_API_KEY, submit judged the key against the default
    # OpenAI URL, then sent it to the job's third-party host with every Files and Batches call.
    key = "sk-openai-only-0123456789abcdef"
    heard: list[str] = []

    class Listening(BatchesServer):
        def handle(self, method, path, headers, body):
            heard.append(headers.get("Authorization", ""))
            return super().handle(method, path, headers, body)

    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    with Listening(batch_engine, models=[MODEL]) as server:
        jobs.export_round(folder, out, settings=Settings(base_url=server.base_url, model=MODEL))
        assert batch_api.submit(folder, out, settings=Settings.from_env({"OPENAI_API_KEY": key}), poll=0.01).done == 1
    assert heard and not [h for h in heard if key in h]


def test_submit_rate_limited_on_upload_says_to_run_it_again_not_to_lower_concurrency(tmp_path):
    # It advised "lower SUMMARIZE_CONCURRENCY", which submit refuses and no upload depends on.
    class Busy(BatchesServer):
        def handle(self, method, path, headers, body):
            if method == "POST" and path.startswith("/v1/files"):
                return 429, {"error": {"message": "too many uploads", "type": "rate_limit_exceeded"}}
            return super().handle(method, path, headers, body)

    folder = seed_folder(tmp_path)
    with Busy(batch_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, model=MODEL, max_retries=1, retry_backoff=0.01)
        with pytest.raises(RateLimitedError) as info:
            batch_api.submit(folder, tmp_path / "job", settings=settings, poll=0.01)
    assert "run submit again, and the job resumes where it stopped" in str(info.value)
    assert "SUMMARIZE_CONCURRENCY" not in str(info.value)


@pytest.mark.parametrize("poll", ["-1", "0", "nan", "inf", "soon"])
def test_submit_refuses_a_poll_that_is_no_positive_number_of_seconds(tmp_path, capsys, poll):
    # -1 (and 0, nan) retrieved the batch in a tight loop against a paid API; inf never again.
    folder = seed_folder(tmp_path)
    out = tmp_path / "job"
    with pytest.raises(SystemExit) as exit:
        cli.main(["batch", "submit", str(folder), "--out", str(out), *OFFLINE_ENDPOINT, "--poll", poll])
    assert exit.value.code == 2
    assert f"argument --poll: expected a positive number of seconds, got '{poll}'" in capsys.readouterr().err
    value = poll if poll == "soon" else float(poll)
    with pytest.raises(ConfigError, match=re.escape(f"poll must be a positive number of seconds between status checks, e.g. 30; got {value!r}")):
        batch_api.submit(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL), poll=value)
    assert not out.exists()


def test_submit_reports_a_batch_that_failed_validation(tmp_path):
    folder = corpus_folder(tmp_path)
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        server.refuse = {"code": "token_limit_exceeded", "message": "Enqueued token limit reached for qwen3-8b."}
        with pytest.raises(jobs.JobError, match="token_limit_exceeded: Enqueued token limit.*lower --max-lines"):
            batch_api.submit(folder, tmp_path / "job", settings=Settings(base_url=server.base_url), poll=0.01)


def test_submit_sends_a_batch_that_failed_validation_anew_at_a_lower_max_lines(tmp_path):
    folder = corpus_folder(tmp_path)
    out = tmp_path / "job"
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url)
        server.refuse = {"code": "token_limit_exceeded", "message": "Enqueued token limit reached for qwen3-8b."}
        with pytest.raises(jobs.JobError, match="failed validation.*lower --max-lines"):
            batch_api.submit(folder, out, settings=settings, poll=0.01)
        server.refuse = None
        report = batch_api.submit(folder, out, settings=settings, max_lines=4, poll=0.01)
        assert report.done == 8
        first = jobs.rounds(out)[0]
        # Round 1 went out again in files of at most 4 lines, each a new upload and batch.
        assert [f["lines"] for f in first["files"]] == [4, 4, 1]
        assert all(f["batch_id"] != "batch_1" for f in first["files"])
        assert server.count("GET", "/v1/batches/batch_1") == 1  # failed; never polled again


def test_submit_refuses_a_batch_id_that_is_not_a_plain_name(tmp_path):
    folder = seed_folder(tmp_path, "seed.txt")
    out = tmp_path / "deep" / "er" / "job"
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        server.batch_id = lambda n: f"x/../../../../../ESCAPED-{n}"
        with pytest.raises(jobs.JobError, match="batch ID 'x/.*ESCAPED-1', which is not a plain name"):
            batch_api.submit(folder, out, settings=Settings(base_url=server.base_url), poll=0.01)
    assert not list(tmp_path.rglob("*ESCAPED*"))
    assert "batch_id" not in jobs.rounds(out)[0]["files"][0]


@pytest.mark.parametrize(
    ("outputs", "says"),
    [
        ("gone", r"the output file file-2 of batch batch_1 \(completed, 1 of 1 requests completed\) could not be downloaded: "
                 r"the server has no such file \(HTTP 404"),
        ("unnamed", "batch batch_1 reports 1 of 1 requests completed, but it named no output file; nothing was sent again"),
        ("foreign", "batch batch_1 reports 1 of 1 requests completed, but its output file file-2 answers none of them"),
        ("undecodable", r"the output file file-2 of batch batch_1 \(completed, 1 of 1 requests completed\) is not UTF-8 JSONL"),
    ],
)
def test_submit_stops_at_results_it_cannot_have_and_sends_them_again_when_run_again(tmp_path, outputs, says):
    folder = seed_folder(tmp_path, "seed.txt")
    out = tmp_path / "job"
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url)
        server.outputs = outputs
        with pytest.raises(jobs.JobError, match=f"{says}.*run submit again to send its 1 requests in a new batch"):
            batch_api.submit(folder, out, settings=settings, poll=0.01)
        assert server.count("POST", "/v1/batches") == 1  # what the server says it answered is not sent again unasked
        server.outputs = "kept"
        assert batch_api.submit(folder, out, settings=settings, poll=0.01).done == 1
        assert server.count("POST", "/v1/batches") == 2
        assert jobs.rounds(out)[0]["files"][0]["earlier"][0]["batch_id"] == "batch_1"


@pytest.mark.parametrize("serves_batches", [True, False])
def test_submit_sets_aside_a_batch_the_api_no_longer_knows(tmp_path, serves_batches):
    # A recorded batch deleted at the provider (or made with another project's key) answered 404
    # on every run, blamed on the base URL, and nothing but editing job.json moved the job on.
    folder = seed_folder(tmp_path, "seed.txt")
    out = tmp_path / "job"

    class Forgetful(BatchesServer):
        def handle(self, method, path, headers, body):
            if not serves_batches and method == "GET" and path.split("?")[0] == "/v1/batches":
                return 404, {"error": {"message": f"no route {method} {path}"}}
            return super().handle(method, path, headers, body)

    with Forgetful(batch_engine, models=[MODEL]) as server:
        settings = Settings(base_url=server.base_url, retry_backoff=0.01)
        server.hold = True
        failed: list[BaseException] = []
        worker = threading.Thread(
            target=lambda: failed.extend(_raised(lambda: batch_api.submit(folder, out, settings=settings, poll=0.01)))
        )
        worker.start()
        deadline = time.monotonic() + 60
        while server.count("GET", r"/v1/batches/batch_1") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.batches.clear()  # the provider forgot batch_1
        worker.join(timeout=60)
        (error,) = failed
        if not serves_batches:  # no Batches API there at all: the endpoint's error, nothing set aside
            assert isinstance(error, EndpointError) and not isinstance(error, jobs.JobError)
            assert jobs.rounds(out)[0]["files"][0]["batch_id"] == "batch_1"
            return
        assert isinstance(error, jobs.JobError)
        assert str(error).startswith(f"batch batch_1 is unknown to {server.base_url} (HTTP 404: it was deleted")
        assert "run submit again to send its 1 requests in a new batch" in str(error)
        server.hold = False
        assert batch_api.submit(folder, out, settings=settings, poll=0.01).done == 1
        assert jobs.rounds(out)[0]["files"][0]["earlier"][0]["batch_id"] == "batch_1"


def _raised(call) -> list[BaseException]:
    try:
        call()
    except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
        return [exc]
    return []


def test_submit_imports_a_batch_whose_error_file_is_empty(tmp_path):
    # An import refuses an empty results file; a provider's empty error file is no results file.
    folder = seed_folder(tmp_path, "seed.txt")
    with BatchesServer(batch_engine, models=[MODEL]) as server:
        server.outputs = "empty"
        assert batch_api.submit(folder, tmp_path / "job", settings=Settings(base_url=server.base_url), poll=0.01).done == 1


# -- the example and memory --------------------------------------------------------------------


def test_the_batch_engine_example_runs_a_job_to_the_end(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import batch_engine
    finally:
        sys.path.remove(str(ROOT / "examples"))
    folder = corpus_folder(tmp_path)
    batch_engine.main([str(folder), str(tmp_path / "job")])
    printed = capsys.readouterr().out
    assert "round 1:" in printed and "8 done, 0 failed" in printed
    record = json.loads((tmp_path / "job" / "seed-qwen3-grok.json").read_text(encoding="utf-8"))
    assert record["summary"].startswith("[engine]") and record["usage"]["requests"] == 1


def test_export_skips_a_symlink_out_of_the_folder(tmp_path):
    from summarize.jobs import _article_files

    secret = tmp_path / "private" / "id_rsa.txt"
    secret.parent.mkdir()
    secret.write_text("PRIVATE KEY", encoding="utf-8")
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.txt").write_text("臺南市政府今天宣布。", encoding="utf-8")
    (news / "leak.txt").symlink_to(secret)
    (news / "inside.txt").symlink_to(news / "a.txt")
    files, base = _article_files(news)
    assert sorted(p.name for p in files) == ["a.txt", "inside.txt"] and base == news


def test_an_article_export_cannot_read_fails_alone_as_online(endpoint_env, tmp_path, capsys):
    folder = seed_folder(tmp_path, "good.txt")
    (folder / "big5.txt").write_bytes("臺南市政府今天宣布。".encode("big5"))
    odd = folder / os.fsdecode(b"n\xb0\xea1.txt")  # a Big5 name, as an old Windows archive has
    try:
        odd.write_text("臺南市政府今天宣布。", encoding="utf-8")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    out = tmp_path / "job"

    assert cli.main(["batch", "export", str(folder), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "0 done, 2 failed; round 1: 1 requests in 1 file(s) for 1 article(s)" in err
    assert f"failed: {folder / 'big5.txt'}: the file is not UTF-8 text (" in err and "iconv" in err
    shown = f"{folder}/n\\udcb0\\udcea1.txt"  # as online shows it (batch.display)
    assert f"failed: {shown}: {shown}: the file name is not valid UTF-8; rename it" in err

    report = jobs.status(out)
    assert (report.articles, report.failed, report.waiting) == (3, 2, 1)
    answer_rounds(out, report, tmp_path, chat_body)
    assert jobs.status(out).done == 1 and sorted(p.name for p in out.glob("*.md")) == ["good.md"]


def _drop_rounds(path: Path) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))
    del meta["rounds"]
    path.write_text(json.dumps(meta), encoding="utf-8")


def _partial_yes(path: Path) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["partial"] = "yes"
    path.write_text(json.dumps(meta), encoding="utf-8")


def _bad_setting(path: Path) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["settings"]["concurrency"] = "x"
    path.write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize(
    "damaged, damage, why",
    [
        ("job.json", lambda p: p.write_text("{not json", encoding="utf-8"), "Expecting property name"),
        ("job.json", lambda p: p.write_text("[]", encoding="utf-8"), "not a job's JSON object"),
        ("job.json", _drop_rounds, 'a job without a list "rounds"'),
        # A bare ConfigError that never said where the value was.
        ("job.json", _bad_setting, "its settings: concurrency must be a positive integer"),
        ("job.json", _partial_yes, 'a job whose "partial" is not a boolean'),
        ("replies/000000.json", lambda p: p.write_bytes(b'{"replies": {"a'), "Unterminated string"),
        ("replies/000000.json", lambda p: p.write_text("[]", encoding="utf-8"), "not the replies of a shard"),
        ("articles/000000.jsonl", lambda p: p.write_bytes(b"\xff\xfe"), "'utf-8' codec can't decode"),
        ("articles/000000.jsonl", lambda p: p.write_text("{}\n", encoding="utf-8"), "line 1 is not an article"),
        # Cut at a line's end, or emptied, the file read as valid: its lost articles were never
        # done, and the job said every article was finished.
        ("articles/000000.jsonl", lambda p: p.write_text(p.read_text(encoding="utf-8").splitlines(True)[0], encoding="utf-8"),
         "it holds 1 article(s) where job.json counts 8: lines were lost"),
        ("articles/000000.jsonl", lambda p: p.write_bytes(b""), "it holds 0 article(s) where job.json counts 8"),
        ("articles/000000.jsonl", lambda p: p.write_text("".join(sorted(p.read_text(encoding="utf-8").splitlines(True), reverse=True)),
                                                          encoding="utf-8"), "line 1 is article a0000007, where a0000000 belongs"),
    ],
    ids=["job-not-json", "job-not-an-object", "job-without-rounds", "job-bad-setting", "job-bad-partial", "replies-cut", "replies-not-an-object",
         "articles-not-utf8", "articles-not-articles", "articles-cut", "articles-emptied", "articles-reordered"],
)
def test_a_damaged_state_file_is_named_with_what_to_do(tmp_path, capsys, damaged, damage, why):
    folder = corpus_folder(tmp_path)
    out = tmp_path / "job"
    report = jobs.export_round(folder, out, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    results = tmp_path / "r.jsonl"
    jobs.answer_round(report.files, results, chat_body)
    jobs.import_results(out, results)
    damage(out / jobs.STATE / damaged)
    capsys.readouterr()

    for command in (["status", str(out)], ["import", str(out), str(results)]):
        assert cli.main(["batch", *command]) == 1
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "internal error" not in err
        assert f"error: {out / jobs.STATE / damaged} is damaged (" in err and why in err
        assert f"restore it from a backup, or start the job over: remove {out / jobs.STATE} and export again" in err
        assert "the replies stored for the others are lost" in err


def test_export_into_the_folder_it_reads_is_refused_as_online(endpoint_env, tmp_path, capsys):
    folder = corpus_folder(tmp_path)
    before = snapshot(folder)
    said = []
    for command in (["batch", str(folder)], ["batch", "export", str(folder)], ["batch", "export", str(folder / "*.txt")]):
        assert cli.main([*command, "--out", str(folder)]) in (1, 2)
        said.append(capsys.readouterr().err.strip().split(": error: ", 1)[1])
    assert said[0] == (
        f"--out {folder} is inside the folder the batch reads ({folder}), so its results would be read as articles: "
        "choose an --out outside it"
    )
    assert said[1] == said[2] == said[0]  # one message, from one place
    assert snapshot(folder) == before and not (folder / jobs.STATE).exists()
    assert endpoint_env.requests == []


@pytest.mark.parametrize(
    "blocker",
    ["out", "out/a.md", "out/sub", "long"],
    ids=["out-is-a-file", "an-output-is-a-folder", "an-output-folder-is-a-file", "an-output-name-too-long"],
)
def test_an_out_that_cannot_take_the_outputs_is_refused_by_export_as_online(tmp_path, capsys, blocker):
    # Export said "[Errno 20] Not a directory" (exit 1) for an --out that is a file, took an
    # output path that is a folder or below a file (to fail at its write, once paid for), and
    # called a name too long for its output "a file summarize did not write: move it away".
    folder = seed_folder(tmp_path)
    (folder / "sub").mkdir()
    shutil.copy(folder / "a.txt", folder / "sub" / "b.txt")
    if blocker == "long":
        shutil.copy(folder / "a.txt", folder / ("x" * 251 + ".txt"))  # x...x.json is 256 bytes
    said = {}
    for command in ("run", "export"):
        out = tmp_path / command
        if blocker != "long":
            in_the_way = tmp_path / blocker.replace("out", command, 1)
            in_the_way.parent.mkdir(parents=True, exist_ok=True)
            in_the_way.mkdir() if blocker.endswith(".md") else in_the_way.write_text("mine", encoding="utf-8")
        argv = ["batch", str(folder), "--out", str(out)] if command == "run" else ["batch", "export", str(folder), "--out", str(out)]
        assert cli.main([*argv, *OFFLINE_ENDPOINT]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and "Errno" not in err and "move it away" not in err, err
        said[command] = err.split(": error: ", 1)[1].replace(str(out), "OUT")
        assert not jobs.Job(out).exists and not (out / jobs.STATE / "articles").exists()
    assert said["export"] == said["run"]
    assert ("is 256 bytes, more than the 255 a file name can have in OUT" if blocker == "long" else "OUT") in said["export"]


def test_export_into_a_folder_above_the_articles_reads_them_as_online(tmp_path):
    folder = corpus_folder(tmp_path)
    report = jobs.export_round(folder, tmp_path, settings=Settings(base_url="http://127.0.0.1:9/v1", model=MODEL))
    assert report.articles == 8 and report.waiting == 8


def test_a_dict_for_settings_is_a_config_error(tmp_path):
    # It raised a bare AttributeError from deep inside the export.
    with pytest.raises(ConfigError, match="settings must be a summarize.Settings"):
        jobs.export_round(tmp_path, tmp_path / "job", settings={"model": "x"})
    with pytest.raises(ConfigError, match="settings must be a summarize.Settings"):
        batch_api.submit(tmp_path, tmp_path / "job", settings={"model": "x"})


def test_an_article_export_could_not_read_gets_no_advice_to_export_again(tmp_path, capsys):
    # It was told to run export again, which leaves such an article failed: a circle.
    folder, out = exported_seed(tmp_path)
    (folder / "big5.txt").write_bytes("臺南市政府今天宣布。".encode("big5"))
    shutil.rmtree(out)
    capsys.readouterr()
    assert cli.main(["batch", "export", str(folder), "--out", str(out), *OFFLINE_ENDPOINT]) == 1
    err = capsys.readouterr().err
    assert "failed: " in err and "big5.txt" in err
    assert "to try the failed articles again" not in err


def test_results_of_a_round_whose_request_file_was_cleaned_up_are_still_this_jobs(tmp_path):
    # Deleted once its batch was sent, the round's file no longer said which custom_ids were
    # asked: its results, imported again, were refused as "another job's results".
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    folder, out = corpus_folder(tmp_path), tmp_path / "job"
    first = jobs.export_round(folder, out, settings=settings)
    lines = [line for f in first.files for line in jobs.read_lines(f.path)]
    rest = tmp_path / "rest.jsonl"  # all but one line: the job goes on to a second round
    rest.write_text("".join(json.dumps(jobs.result_line(x["custom_id"], chat_body(x["body"]))) + "\n" for x in lines[1:]))
    assert jobs.import_results(out, rest).round == 2
    for f in first.files:
        f.path.unlink()
    again = jobs.import_results(out, rest)
    assert again.stored == 0 and again.round == 2


def test_another_jobs_results_are_refused_after_a_rounds_request_file_was_cleaned_up(tmp_path, capsys):
    # With round 1's file gone, any custom_id naming an article number of the job was taken as
    # its own: another job's results were "2 replies stored", exit 0, junk kept in the state,
    # where README says such a file is refused before anything is stored.
    settings = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    folder = seed_folder(tmp_path, "a.txt")
    shutil.copy(CORPUS / "tainan-ai-youth-governance-press-release-2025.zh-Hant.txt", folder / "b.txt")
    out = tmp_path / "job"
    first = jobs.export_round(folder, out, settings=settings)
    lines = [line for f in first.files for line in jobs.read_lines(f.path)]
    part = tmp_path / "part.jsonl"
    part.write_text(json.dumps(jobs.result_line(lines[0]["custom_id"], chat_body(lines[0]["body"]))) + "\n")
    assert jobs.import_results(out, part).round == 2
    for f in first.files:
        f.path.unlink()
    other = jobs.export_round(folder, tmp_path / "other", settings=settings, languages=("zh-Hant",))
    others = tmp_path / "others.jsonl"
    jobs.answer_round(other.files, others, chat_body)
    before = snapshot(out / jobs.STATE)
    assert cli.main(["batch", "import", str(out), str(others)]) == 2
    assert "(they answer requests this job did not write (another job's results?)); nothing was stored" in capsys.readouterr().err
    assert snapshot(out / jobs.STATE) == before
    # Its own results, imported again with the rest, are still its own: the line answered before
    # changes nothing, and the new one is stored.
    rest = tmp_path / "rest.jsonl"
    jobs.answer_round(jobs.status(out).files, rest, chat_body)
    report = jobs.import_results(out, part, rest)
    assert (report.stored, report.done, report.finished) == (1, 2, True)



def test_a_failure_imported_again_is_not_told_as_unrun(tmp_path, caplog):
    # A request that once came back unrun, then failed: importing that failure again was told
    # "came back unrun", as every line that stored nothing new was.
    folder, out = exported_seed(tmp_path)
    (line,) = [x for f in jobs.status(out).files for x in jobs.read_lines(f.path)]
    unrun = tmp_path / "unrun.jsonl"
    unrun.write_text(json.dumps({"id": "r1", "custom_id": line["custom_id"], "response": None, "error": {"code": "batch_expired"}}) + "\n")
    failed = tmp_path / "failed.jsonl"
    failed.write_text(json.dumps(_failed_at_engine("server", line["custom_id"], 1)) + "\n")
    jobs.import_results(out, unrun)
    jobs.import_results(out, failed)
    caplog.clear()
    jobs.import_results(out, failed)
    assert "came back unrun" not in caplog.text and "nothing new stored" in caplog.text
    # Answered at last, it is asked no more, and nothing of it is counted unrun.
    answered = tmp_path / "answered.jsonl"
    answered.write_text(json.dumps(jobs.result_line(line["custom_id"], chat_body(line["body"]))) + "\n")
    assert jobs.import_results(out, answered).finished and jobs.status(out).unanswered == ()
