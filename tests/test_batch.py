"""``summarize batch`` keeping its promise of no lost data (issue 12, items 5-9 and 22).

Each test drives the command in-process (``call``) or as the installed script (``run``) against
the scripted server; what matters is what reached the endpoint, what landed in ``--out`` and
what the summary line and exit status say.
"""

from __future__ import annotations

import errno
import json
import os
import re
import time
from pathlib import Path

import pytest
from scripted_server import Step
from test_cli import ARTICLE, call, reply, run

from summarize import output
from summarize import result as results

OLD = time.time() - 3600  # an hour ago: long past any write still in progress


def _articles(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (folder / name).write_text(f"第{i}則新聞。{ARTICLE}", encoding="utf-8")
    return folder


def _numbered(seen) -> Step:
    found = re.search(r"第(\d+)則", seen.user_text)
    return reply(f"Summary of article {found.group(1) if found else '?'}.")


# -- item 5: two articles, one output name -------------------------------------------------


def test_two_articles_that_would_write_the_same_outputs_are_refused_before_anything_is_sent(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "a.txt", "a.md", "b.txt")
    out = tmp_path / "out"
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert str(folder / "a.md") in line and str(folder / "a.txt") in line and str(out / "a.json") in line
    assert "rename one" in line
    assert scripted.requests == []  # not even GET /models
    assert not out.exists()


def test_articles_in_different_subfolders_do_not_collide(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "a.txt")
    _articles(folder / "sub", "a.txt")
    result = call("batch", str(folder), "--out", str(tmp_path / "out"), server=scripted)
    assert result.returncode == 0, result.stderr
    assert "2 done" in result.stderr


# -- item 6: one article's failure is that article's only ------------------------------------


def test_a_malformed_reply_fails_only_its_article_and_a_rerun_retries_only_it(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt", "n1.txt", "n2.txt")
    out = tmp_path / "out"

    def malformed_for_one(seen):
        if "第1則" in seen.user_text:  # no "message" in the choice
            return Step(body={"id": "x", "object": "chat.completion", "created": 0, "model": "scripted",
                              "choices": [{"index": 0, "finish_reason": "stop"}]})
        return _numbered(seen)

    scripted.default = malformed_for_one
    first = call("batch", str(folder), "--out", str(out), server=scripted)
    assert first.returncode == 1
    assert "2 done, 0 already done, 1 failed" in first.stderr
    assert f"failed: {folder / 'n1.txt'}: " in first.stderr
    assert json.loads((out / "n2.json").read_text(encoding="utf-8"))["summary"] == "Summary of article 2."

    scripted.default = _numbered
    again = call("batch", str(folder), "--out", str(out), server=scripted)
    assert again.returncode == 0, again.stderr
    assert "1 done, 2 already done, 0 failed" in again.stderr


def test_an_article_changed_since_its_result_was_written_is_summarized_again(scripted, tmp_path):
    # A figure corrected in the article: the rerun said "1 already done" and kept the old summary.
    import hashlib

    folder = _articles(tmp_path / "news", "n0.txt", "n1.txt")
    out = tmp_path / "out"
    scripted.default = _numbered
    assert call("batch", str(folder), "--out", str(out), server=scripted).returncode == 0
    record = json.loads((out / "n0.json").read_text(encoding="utf-8"))
    assert record["source_sha256"] == hashlib.sha256((folder / "n0.txt").read_bytes()).hexdigest()
    sent = len(scripted.chat_requests)
    (folder / "n0.txt").write_text((folder / "n0.txt").read_text(encoding="utf-8") + "市府今天更正預算為三億元。", encoding="utf-8")
    again = call("batch", str(folder), "--out", str(out), server=scripted)
    assert again.returncode == 0, again.stderr
    assert f"1 article(s) changed since their result was written, summarized again: {folder / 'n0.txt'}" in again.stderr
    assert "1 done, 1 already done, 0 failed" in again.stderr
    assert [r.user_text for r in scripted.chat_requests[sent:] if "更正預算" in r.user_text]
    unchanged = call("batch", str(folder), "--out", str(out), server=scripted)
    assert "0 done, 2 already done" in unchanged.stderr and "changed since" not in unchanged.stderr
    # A record written before the digest was kept cannot tell: it stays done.
    del record["source_sha256"]
    (out / "n0.json").write_text(json.dumps(record), encoding="utf-8")
    (folder / "n0.txt").write_text("第0則新聞。又改了。" + ARTICLE, encoding="utf-8")
    assert "0 done, 2 already done" in call("batch", str(folder), "--out", str(out), server=scripted).stderr


def test_an_unexpected_exception_in_one_article_is_that_articles_failure(scripted, tmp_path, monkeypatch):
    from summarize import batch

    folder = _articles(tmp_path / "news", "n0.txt", "n1.txt")
    real = batch.asummarize_article

    async def sometimes_broken(text, **kwargs):
        if "第1則" in text:
            raise RuntimeError("something nobody foresaw")
        return await real(text, **kwargs)

    monkeypatch.setattr(batch, "asummarize_article", sometimes_broken)
    scripted.default = _numbered
    result = call("batch", str(folder), "--out", str(tmp_path / "out"), server=scripted)
    assert result.returncode == 1
    assert "1 done, 0 already done, 1 failed" in result.stderr
    assert f"failed: {folder / 'n1.txt'}: RuntimeError: something nobody foresaw" in result.stderr


def test_a_file_name_that_is_not_utf8_is_that_articles_failure(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt")
    bad = folder / os.fsdecode(b"n\xb0\xea1.txt")  # a Big5 name, as an old Windows archive has
    try:
        bad.write_text(f"第1則新聞。{ARTICLE}", encoding="utf-8")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    scripted.default = _numbered
    out = tmp_path / "out"
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 1
    assert "1 done, 0 already done, 1 failed" in result.stderr
    assert "name is not valid UTF-8" in result.stderr and "rename it" in result.stderr
    shown = str(folder / "n\\udcb0\\udcea1.txt")
    assert f"failed: {shown}: the file name is not valid UTF-8; rename it" in result.stderr  # named once
    assert ["第1則" not in r.user_text for r in scripted.chat_requests] == [True]  # never sent
    assert sorted(p.name for p in out.iterdir()) == ["n0.json", "n0.md"]


def test_a_file_too_large_for_an_article_is_that_articles_failure_unread(scripted, tmp_path):
    # A disk image or a log left in the folder was read whole into memory.
    folder = _articles(tmp_path / "news", "n0.txt")
    with open(folder / "n1.txt", "wb") as huge:
        huge.truncate((32 << 20) + 1)  # sparse: no disk is used
    scripted.default = _numbered
    result = call("batch", str(folder), "--out", str(tmp_path / "out"), server=scripted)
    assert result.returncode == 1 and "1 done, 0 already done, 1 failed" in result.stderr
    assert f"failed: {folder / 'n1.txt'}: the file holds more than 32 MiB" in result.stderr


def test_a_full_disk_fails_the_article_it_hit_and_a_rerun_writes_it(scripted, tmp_path, monkeypatch):
    folder = _articles(tmp_path / "news", "n0.txt", "n1.txt", "n2.txt")
    out = tmp_path / "out"
    real = output.write_atomic

    def full_for_n1(path, text, **kwargs):
        if Path(path).stem == "n1":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, text, **kwargs)

    monkeypatch.setattr(output, "write_atomic", full_for_n1)
    scripted.default = _numbered
    first = call("batch", str(folder), "--out", str(out), server=scripted)
    assert first.returncode == 1
    assert "2 done, 0 already done, 1 failed" in first.stderr
    assert f"failed: {folder / 'n1.txt'}: [Errno 28] No space left on device" in first.stderr

    monkeypatch.setattr(output, "write_atomic", real)
    again = call("batch", str(folder), "--out", str(out), server=scripted)
    assert again.returncode == 0, again.stderr
    assert "1 done, 2 already done, 0 failed" in again.stderr
    assert (out / "n1.md").is_file()


# -- item 7: --out inside what is read -------------------------------------------------------


@pytest.mark.parametrize("where", [".", "summaries", "summaries/deeper"])
def test_out_equal_to_or_inside_the_input_folder_is_refused(scripted, tmp_path, where):
    folder = _articles(tmp_path / "news", "n0.txt")
    out = (folder / where) if where != "." else folder
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"summarize batch: error: --out {out} is inside the folder the batch reads ({folder}), so its results "
        "would be read as articles: choose an --out outside it"
    )
    assert scripted.requests == []


def test_out_inside_a_recursive_globs_folder_is_refused_but_beside_a_flat_glob_is_fine(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt")
    refused = call("batch", str(folder / "**" / "*.txt"), "--out", str(folder / "out"), server=scripted)
    assert refused.returncode == 2 and "is inside the folder the batch reads" in refused.stderr
    same = call("batch", str(folder / "*.txt"), "--out", str(folder), server=scripted)
    assert same.returncode == 2 and "is inside the folder the batch reads" in same.stderr
    assert scripted.requests == []

    flat = call("batch", str(folder / "*.txt"), "--out", str(folder / "out"), server=scripted)
    assert flat.returncode == 0, flat.stderr
    assert "1 done" in flat.stderr


# -- item 8: symlinks out of the folder ------------------------------------------------------


def test_a_symlink_out_of_the_folder_is_skipped_and_reported_unless_asked(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt")
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY----- SECRET", encoding="utf-8")
    (folder / "innocent.txt").symlink_to(secret)
    outside = _articles(tmp_path / "elsewhere", "far.txt")
    (folder / "linked-dir").symlink_to(outside, target_is_directory=True)
    (folder / "same.txt").symlink_to(folder / "n0.txt")  # inside the folder: fine
    out = tmp_path / "out"

    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 0, result.stderr
    assert not [r for r in scripted.chat_requests if "SECRET" in r.user_text]
    assert "2 done" in result.stderr  # n0 and same
    assert (
        f"skipped 2 symlink(s) pointing outside {folder}: {folder / 'innocent.txt'}, {folder / 'linked-dir'} "
        "(pass --follow-symlinks to read them)"
    ) in result.stderr

    followed = run("batch", str(folder), "--out", str(out), "--follow-symlinks", server=scripted)
    assert followed.returncode == 0, followed.stderr
    assert [r for r in scripted.chat_requests if "SECRET" in r.user_text]
    assert (out / "linked-dir" / "far.json").is_file()


def test_following_symlinks_reads_each_folder_once(tmp_path, caplog):
    # news/self -> . made os.walk read every article 41 times over, each one paid for.
    from summarize.batch import find_articles

    folder = _articles(tmp_path / "news", "n0.txt")
    (folder / "self").symlink_to(folder, target_is_directory=True)
    outside = _articles(tmp_path / "elsewhere", "far.txt")
    (folder / "a").symlink_to(outside, target_is_directory=True)
    (folder / "b").symlink_to(outside, target_is_directory=True)  # the same folder by a second link
    found = find_articles(str(folder), follow_symlinks=True)
    assert [p.relative_to(folder).as_posix() for p in found.files] == ["a/far.txt", "n0.txt"]
    assert f"{folder / 'self'} leads to a folder read already; it is not read again" in caplog.text
    assert f"{folder / 'b'} leads to a folder read already" in caplog.text


def test_a_glob_skips_symlinks_out_of_its_folder_too(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt")
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    (folder / "x.txt").symlink_to(secret)
    result = call("batch", str(folder / "*.txt"), "--out", str(tmp_path / "out"), server=scripted)
    assert result.returncode == 0, result.stderr
    assert not [r for r in scripted.chat_requests if "SECRET" in r.user_text]
    assert f"skipped 1 symlink(s) pointing outside {folder}: {folder / 'x.txt'}" in result.stderr


# -- item 9: stale temporary files and file modes --------------------------------------------


def test_stale_temporary_files_of_ours_are_cleaned_and_nothing_else(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    stale = [out / ".summarize.k2j4h5g6.tmp", out / "sub" / ".n9.json.abc_1234.tmp", out / ".n0.json.x8y7z6w5.tmp"]
    fresh = out / ".summarize.q1w2e3r4.tmp"  # a concurrent run writing right now
    others = [out / ".notes", out / "keep.md.k2j4h5g6.tmp", out / ".n0.md.toolong123.tmp", out / ".photo.jpg.k2j4h5g6.tmp"]
    # A user's hidden backups, though shaped like what tempfile.mkstemp named ours long ago.
    others += [out / ".notes.md.20240101", out / "sub" / ".draft.md.v2_final", out / ".old.json.backup_1"]
    for path in [*stale, fresh, *others]:
        path.write_text("x", encoding="utf-8")
    for path in [*stale, *others]:
        os.utime(path, (OLD, OLD))

    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 0, result.stderr
    assert [p.exists() for p in stale] == [False, False, False]
    assert fresh.exists() and all(p.exists() for p in others)
    assert "removed 3 stale temporary file(s)" in result.stderr


def test_outputs_honour_the_umask(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"
    previous = os.umask(0o022)
    try:
        result = call("batch", str(folder), "--out", str(out), server=scripted)
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {"n0.json": "0o644", "n0.md": "0o644"}

    previous = os.umask(0o077)
    try:
        output.write_atomic(out / "private.md", "x")
    finally:
        os.umask(previous)
    assert oct((out / "private.md").stat().st_mode & 0o777) == "0o600"


# -- item 22: findings recorded as flags -----------------------------------------------------


def _prompt_cut(seen) -> Step:
    # A server that kept a tenth of the prompt, as Ollama does past num_ctx, and says so in usage.
    kept = max(1, sum(len(m["content"]) for m in seen.messages) // 10)
    return Step.reply("A summary of what was left.", usage={"prompt_tokens": kept, "completion_tokens": 5})


def test_a_prompt_cut_is_recorded_as_a_flag_and_redo_flagged_asks_again(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt", "n1.txt")
    out = tmp_path / "out"
    env = {"SUMMARIZE_CACHE": "1"}

    def cut_n1(seen):
        return _prompt_cut(seen) if "第1則" in seen.user_text else _numbered(seen)

    scripted.default = cut_n1
    first = call("batch", str(folder), "--out", str(out), server=scripted, env=env)
    assert first.returncode == 0, first.stderr
    record = json.loads((out / "n1.json").read_text(encoding="utf-8"))
    assert record["flags"] == [results.PROMPT_CUT]
    assert json.loads((out / "n0.json").read_text(encoding="utf-8"))["flags"] == []
    markdown = (out / "n1.md").read_text(encoding="utf-8")
    assert "> Prompt cut: the server counted far fewer prompt tokens than were sent" in markdown

    scripted.default = _numbered  # the server's context was raised
    again = call("batch", str(folder), "--out", str(out), "--redo-flagged", server=scripted, env=env)
    assert again.returncode == 0, again.stderr
    assert "1 done, 1 already done" in again.stderr
    assert len(scripted.chat_requests) == 3  # a cut reply is not cached: the redo asks again
    assert json.loads((out / "n1.json").read_text(encoding="utf-8"))["flags"] == []


def test_redo_flagged_refuses_outputs_made_read_only_before_anything_is_sent(scripted, tmp_path):
    # Replacing a file takes only the folder's write permission: a protected, hand-edited output
    # was replaced, its mode reset, without a word.
    folder = _articles(tmp_path / "news", "n0.txt", "n1.txt")
    out = tmp_path / "out"
    scripted.default = lambda seen: _prompt_cut(seen) if "第1則" in seen.user_text else _numbered(seen)
    assert call("batch", str(folder), "--out", str(out), server=scripted).returncode == 0
    sent = len(scripted.chat_requests)
    (out / "n1.md").write_text((out / "n1.md").read_text(encoding="utf-8") + "\nMy own notes.\n", encoding="utf-8")
    for name in ("n1.md", "n1.json"):
        (out / name).chmod(0o444)
    kept = {name: (out / name).read_bytes() for name in ("n1.md", "n1.json")}
    again = call("batch", str(folder), "--out", str(out), "--redo-flagged", server=scripted)
    assert again.returncode == 2 and len(scripted.chat_requests) == sent
    assert again.stderr.strip() == (
        f"summarize batch: error: {out / 'n1.md'} is read-only: summarize does not replace a file you protected; "
        "make it writable (chmod u+w) or move it away"
    )
    assert {name: (out / name).read_bytes() for name in kept} == kept and (out / "n1.md").stat().st_mode & 0o777 == 0o444
    assert call("batch", str(folder), "--out", str(out), server=scripted).returncode == 0  # not redone: not written


def test_write_atomic_leaves_a_read_only_file_as_it_is(tmp_path):
    target = tmp_path / "a.md"
    target.write_text("mine", encoding="utf-8")
    target.chmod(0o444)
    with pytest.raises(PermissionError, match="a.md is read-only: summarize does not replace a file you protected"):
        output.write_atomic(target, "theirs")
    assert target.read_text(encoding="utf-8") == "mine" and [p.name for p in tmp_path.iterdir()] == ["a.md"]


@pytest.mark.parametrize("formats", ["md,json", "md"])
def test_a_zh_hant_summary_in_english_is_flagged_and_redone(scripted, tmp_path, formats):
    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"
    scripted.default = lambda seen: reply("The city will expand its bus network next year.")
    args = ("batch", str(folder), "--out", str(out), "--format", formats, "--languages", "zh-Hant")
    first = call(*args, server=scripted)
    assert first.returncode == 0, first.stderr
    assert "> Unverified: zh-Hant came back in the wrong language." in (out / "n0.md").read_text(encoding="utf-8")
    if "json" in formats:
        assert json.loads((out / "n0.json").read_text(encoding="utf-8"))["flags"] == [results.ZH_HANT_NOT_CHINESE]

    scripted.default = lambda seen: reply("臺南市明年擴大公車路網。")
    again = call(*args, "--redo-flagged", server=scripted)
    assert "1 done, 0 already done" in again.stderr
    assert "> Unverified" not in (out / "n0.md").read_text(encoding="utf-8")


def test_the_library_returns_the_flags(scripted, scripted_settings):
    from summarize import summarize_article, translate_article

    scripted.default = _prompt_cut
    assert summarize_article(ARTICLE, settings=scripted_settings).flags == (results.PROMPT_CUT,)
    assert translate_article(ARTICLE, settings=scripted_settings, glossary={}).flags == (results.PROMPT_CUT,)
    scripted.default = lambda seen: reply("The summary is in English.")
    both = summarize_article(ARTICLE, settings=scripted_settings, languages=("en", "zh-Hant"))
    assert both.flags == (results.ZH_HANT_NOT_CHINESE,)
    scripted.default = lambda seen: reply("一切正常的摘要。" if "繁體中文" in seen.task_text else "All is well.")  # noqa: E501
    assert summarize_article(ARTICLE, settings=scripted_settings, languages=("en", "zh-Hant")).flags == ()


def test_a_setting_every_article_needs_fails_the_run_once_before_anything_is_sent(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt", "n1.txt")
    env = {"SUMMARIZE_GLOSSARY": str(tmp_path / "missing.tsv")}
    result = call("batch", str(folder), "--out", str(tmp_path / "out"), server=scripted, env=env)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "cannot read the glossary" in result.stderr
    assert scripted.requests == []


# -- an --out that cannot take the results is refused before anything is paid for -----------


@pytest.mark.parametrize(
    "blocker, expected",
    [
        ("out", "--out {out} is a file, not a folder"),
        ("out/n0.md", "{out}/n0.md is a folder, where a result would be written"),
        ("out/sub", "{out}/sub is a file, where results need a folder"),
    ],
    ids=["out-is-a-file", "an-output-is-a-folder", "an-output-folder-is-a-file"],
)
def test_an_out_that_cannot_take_the_results_is_refused_before_anything_is_sent(scripted, tmp_path, blocker, expected):
    folder = _articles(tmp_path / "news", "n0.txt")
    _articles(folder / "sub", "n1.txt")
    out = tmp_path / "out"
    in_the_way = tmp_path / blocker
    in_the_way.parent.mkdir(parents=True, exist_ok=True)
    if blocker.endswith(".md"):
        in_the_way.mkdir()
    else:
        in_the_way.write_text("mine", encoding="utf-8")
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert expected.format(out=out) in result.stderr
    assert ("give a folder for the results" if blocker == "out" else "move or rename it") in result.stderr
    assert scripted.requests == []  # not even GET /models
    assert in_the_way.exists()  # nothing of the user's touched


def test_a_read_only_out_is_refused_before_anything_is_sent(scripted, tmp_path, monkeypatch):
    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"
    out.mkdir()
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):  # as a read-only mount answers (chmod does not stop root)
        if Path(path).parent == out and flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"summarize batch: error: --out {out} cannot be written (Read-only file system): "
        "choose a folder you can write to, or fix its permissions"
    )
    assert scripted.requests == []
    assert list(out.iterdir()) == []  # the probe left nothing behind


# -- a file summarize did not write, where an output goes --------------------------------------


@pytest.mark.parametrize("redo", [(), ("--redo-flagged",)], ids=["resume", "redo-flagged"])
@pytest.mark.parametrize(
    "formats, name, content, why",
    [
        ("md,json", "n0.json", b"[]\n", "JSON an array that is not a summary or translation record"),
        ("md,json", "n0.json", b"null\n", "JSON null that is not a summary or translation record"),
        ("md,json", "n0.json", b'{"note": "my config"}\n', "JSON an object that is not a summary or translation record"),
        ("md,json", "n0.json", b"{not json", "not JSON"),
        ("md", "n0.md", b"\xff\xfe junk", "not UTF-8 text"),
        ("md", "n0.md", b"my own report, not a summary\n", "Markdown without the title and sections summarize writes"),
    ],
    ids=["array", "null", "object", "not-json", "md-not-utf8", "md-of-mine"],
)
def test_a_file_summarize_did_not_write_at_an_output_path_is_refused_never_done_or_overwritten(
    scripted, tmp_path, formats, name, content, why, redo
):
    folder = _articles(tmp_path / "news", "n0.txt", "n1.txt")
    out = tmp_path / "out"
    scripted.default = _numbered
    first = call("batch", str(folder), "--out", str(out), "--format", formats, server=scripted)
    assert first.returncode == 0, first.stderr
    (out / name).write_bytes(content)  # a foreign or hand-edited file
    scripted.requests.clear()

    again = call("batch", str(folder), "--out", str(out), "--format", formats, *redo, server=scripted)
    assert again.returncode == 2
    assert again.stderr == (
        f"summarize batch: error: {out / name} is where an article's result goes, but summarize did not write it "
        f"({why}); it is left alone and nothing was sent: move it away (or remove it) to have its article done, "
        "or choose another --out\n"
    )
    assert scripted.requests == []
    assert (out / name).read_bytes() == content


def test_a_file_of_the_users_beside_the_folder_read_is_not_written_over(scripted, tmp_path):
    # summarize batch d/sub --out d: d/sub/notes.txt's summary would go to d/notes.md, the user's own.
    folder = _articles(tmp_path / "d" / "sub", "notes.txt", "other.txt")
    mine = tmp_path / "d" / "notes.md"
    mine.write_text("# My precious hand-written notes\n", encoding="utf-8")
    scripted.default = _numbered
    result = call("batch", str(folder), "--out", str(tmp_path / "d"), server=scripted)
    assert result.returncode == 2
    assert f"{mine} is where an article's result goes, but summarize did not write it" in result.stderr
    assert "(and" not in result.stderr  # one file in the way, not the outputs that do not exist yet
    assert mine.read_text(encoding="utf-8") == "# My precious hand-written notes\n"
    assert scripted.requests == []


def test_an_empty_file_at_an_output_path_is_written(scripted, tmp_path):
    # Nothing to lose: summarize never writes an empty output, so it is no finished article either.
    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"
    out.mkdir()
    (out / "n0.md").touch()
    scripted.default = _numbered
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 0, result.stderr
    assert "Summary of article 0." in (out / "n0.md").read_text(encoding="utf-8")


# -- a resumed batch does the work asked for, or says why it will not -----------------------


@pytest.mark.parametrize("formats", ["md,json", "json", "md"])
@pytest.mark.parametrize(
    "first_args, again_args, held, asked",
    [
        ((), ("--translate",), "a summary in en", "a translation into en"),
        ((), ("--languages", "en,zh-Hant"), "a summary in en", "a summary in en, zh-Hant"),
        (("--languages", "en,zh-Hant"), (), "a summary in en, zh-Hant", "a summary in en"),
        (("--translate",), (), "a translation", "a summary in en"),
    ],
    ids=["summary-then-translate", "en-then-both", "both-then-en", "translate-then-summary"],
)
def test_a_rerun_that_asks_for_other_work_than_out_holds_is_refused_before_anything_is_sent(
    scripted, tmp_path, formats, first_args, again_args, held, asked
):
    from fake_translator import translator

    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"
    summarizer = lambda seen: reply("臺南市明年擴大公車路網。" if "繁體中文" in seen.task_text else "The city expands its buses.")  # noqa: E731
    scripted.default = translator() if "--translate" in first_args else summarizer
    first = call("batch", str(folder), "--out", str(out), "--format", formats, *first_args, server=scripted)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    scripted.requests.clear()

    again = call("batch", str(folder), "--out", str(out), "--format", formats, *again_args, server=scripted)
    assert again.returncode == 2
    line = again.stderr.strip()
    assert len(line.splitlines()) == 1
    output = out / ("n0.json" if "json" in formats else "n0.md")
    assert f"{output} holds {held}" in line and f"this run asks for {asked}" in line
    assert "give another --out, or remove the old outputs" in line
    assert scripted.requests == []  # not even GET /models
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("formats", ["md,json", "md"])
def test_a_rerun_asking_the_same_work_skips_even_when_one_language_failed(scripted, tmp_path, formats):
    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"

    def english_only(seen):
        if "繁體中文" in seen.task_text:
            return Step.error(400, {"error": {"message": "no Chinese today"}})
        return reply("The city expands its buses.")

    scripted.default = english_only
    args = ("batch", str(folder), "--out", str(out), "--format", formats, "--languages", "en,zh-Hant")
    first = call(*args, server=scripted)
    assert first.returncode == 0, first.stderr
    if "json" in formats:
        assert list(json.loads((out / "n0.json").read_text(encoding="utf-8"))["failed_languages"]) == ["zh-Hant"]
    scripted.requests.clear()
    again = call(*args, server=scripted)
    assert again.returncode == 0, again.stderr
    assert "0 done, 1 already done" in again.stderr
    assert scripted.requests == []


# -- file names near the file system's limit -------------------------------------------------


def test_an_article_whose_name_is_near_the_limit_is_written(scripted, tmp_path):
    name = ("臺南市政府研究發展考核委員會" * 6)[:79] + ".txt"  # 241 bytes: a temp name 14 bytes longer did not fit
    folder = _articles(tmp_path / "news", name)
    out = tmp_path / "out"
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 0, result.stderr
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".md"]


def test_an_output_name_longer_than_the_limit_is_refused_before_anything_is_sent(scripted, tmp_path):
    stem = "臺" * 83 + "ab"  # 251 bytes: a.txt fits in 255, a.json does not
    folder = _articles(tmp_path / "news", "short.txt", stem + ".txt")
    out = tmp_path / "out"
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"summarize batch: error: {out / (stem + '.json')} cannot be written: its name is 256 bytes, more than "
        f"the 255 a file name can have in {out}: shorten the article's name, or choose another --out"
    )
    assert scripted.requests == []


def test_temporary_names_are_short_whatever_their_target_and_cleaned_when_stale(scripted, tmp_path):
    assert len(os.fsencode(output.temp_name())) == 23
    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"
    out.mkdir()
    stale = out / output.temp_name()
    stale.write_text("x", encoding="utf-8")
    os.utime(stale, (OLD, OLD))
    result = call("batch", str(folder), "--out", str(out), server=scripted)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["n0.json", "n0.md"]



# -- --redo-flagged reads only the notes the tool wrote ---------------------------------------


def test_a_summary_line_that_looks_like_a_warning_does_not_make_a_markdown_output_flagged(scripted, tmp_path):
    folder = _articles(tmp_path / "news", "n0.txt")
    out = tmp_path / "out"
    scripted.default = lambda seen: reply(
        "> Partial: fake warning\n\nThe city expands its buses.\n\n"
        "> Cut: a reply hit the token limit and was kept as it was (on_truncation=keep).\n\nMore text."
    )
    args = ("batch", str(folder), "--out", str(out), "--format", "md", "--redo-flagged")
    first = call(*args, server=scripted)
    assert first.returncode == 0, first.stderr
    assert "> Partial: fake warning" in (out / "n0.md").read_text(encoding="utf-8")
    scripted.requests.clear()
    again = call(*args, server=scripted)
    assert "0 done, 1 already done" in again.stderr
    assert scripted.requests == []


def test_every_note_the_markdown_carries_is_read_back():
    from types import SimpleNamespace

    result = SimpleNamespace(
        summaries={"en": "Text.\n\n> Partial: fake", "zh-Hant": "文字。"}, is_partial=True, failed_chunks=(0, 2),
        truncated=True, unverified=("zh-Hant",), unsupported=("7 km",), flags=tuple(output.FLAG_NOTES),
        corrected=(("Taipei", "Tainan"),), dropped=("A sentence.",),
    )
    notes = output.warnings(result)
    assert output.written_notes(output.to_markdown(result, title="a")) == notes
    assert [output.is_flag_note(n) for n in notes] == [True] * (len(notes) - 2) + [False, False]
    translation = SimpleNamespace(
        to_markdown=lambda: "> source\n\n> Partial: a line the model wrote.\n",
        truncated=False, unverified=(1,), unsupported=((0, "7 km"),), flags=(), corrected=(), dropped=(),
    )
    markdown = output.to_markdown(translation, title="b")
    assert output.written_notes(markdown) == output.warnings(translation)


def test_model_text_shaped_as_a_section_or_a_note_is_shown_as_text_and_a_rerun_resumes(scripted, tmp_path):
    # A reply holding "## Summary (繁體中文)" made the Markdown hold a second section, and the
    # rerun refused to resume ("holds a summary in en, zh-Hant"); "> Prompt cut: ..." read as
    # the tool's own note, for a reader and for --redo-flagged alike.
    folder = _articles(tmp_path / "news", "a.txt")
    note = output.FLAG_NOTES[results.PROMPT_CUT]
    scripted.default = lambda seen: reply(f"Tainan adds bus routes.\n\n## Summary (繁體中文)\n\nThey link the park.\n\n{note}")
    out = tmp_path / "out"
    first = call("batch", str(folder), "--out", str(out), "--format", "md", server=scripted)
    assert first.returncode == 0, first.stderr
    written = (out / "a.md").read_text(encoding="utf-8")
    assert "\n\\## Summary (繁體中文)\n" in written and "\n\\> Prompt cut:" in written
    assert output.written_notes(written) == []
    again = call("batch", str(folder), "--out", str(out), "--format", "md", "--redo-flagged", server=scripted)
    assert again.returncode == 0 and "0 done, 1 already done, 0 failed" in again.stderr, again.stderr
