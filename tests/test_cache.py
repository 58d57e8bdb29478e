"""The response cache: keys, atomic files, what is (never) stored, and the library's use of it."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import shutil
from pathlib import Path

import pytest
from scripted_server import Step, completion

from summarize import ConfigError, EndpointError, Settings, TruncatedOutputError, summarize_article
from summarize.cache import ResponseCache, default_dir

ARTICLE = "臺南市政府今天宣布，明年起擴大公車路網。"
MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
OPTIONS = {"model": "m", "max_tokens": 1024, "temperature": 0.2}


def test_the_key_covers_base_url_model_messages_and_parameters():
    key = ResponseCache.key("http://a/v1", MESSAGES, OPTIONS)
    assert key == ResponseCache.key("http://a/v1/", MESSAGES, dict(reversed(list(OPTIONS.items()))))
    changed = [
        ResponseCache.key("http://b/v1", MESSAGES, OPTIONS),
        ResponseCache.key("http://a/v1", MESSAGES, {**OPTIONS, "model": "n"}),
        ResponseCache.key("http://a/v1", [MESSAGES[0], {"role": "user", "content": "v"}], OPTIONS),
        ResponseCache.key("http://a/v1", MESSAGES, {**OPTIONS, "temperature": 0.3}),
        ResponseCache.key("http://a/v1", MESSAGES, {**OPTIONS, "max_tokens": 512}),
        ResponseCache.key("http://a/v1", MESSAGES, {**OPTIONS, "extra_body": {"enable_thinking": False}}),
    ]
    assert len({key, *changed}) == 7


def test_put_then_get_and_unreadable_files_are_misses(tmp_path):
    cache = ResponseCache(tmp_path)
    key = ResponseCache.key("http://a/v1", MESSAGES, OPTIONS)
    assert cache.get(key) is None
    cache.put(key, {"text": "摘要", "prompt_tokens": 5})
    assert cache.get(key) == {"text": "摘要", "prompt_tokens": 5}
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.json"]
    cache.path(key).write_text("{not json", encoding="utf-8")
    assert cache.get(key) is None
    cache.path(key).write_text(json.dumps({"no": "text"}), encoding="utf-8")
    assert cache.get(key) is None
    cache.path(key).write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")  # nested past the stack
    assert cache.get(key) is None


def test_a_cache_that_cannot_be_written_only_warns(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ResponseCache(blocker / "sub").put("ab" * 32, {"text": "t"})  # a file where the folder should be
    assert "could not write the response cache" in caplog.text


def test_a_cache_that_cannot_be_written_is_said_once_not_at_every_request(scripted, tmp_path, caplog):
    # A file where the cache folder goes warned at every read and every write: twice a request.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(blocker / "c"))
    for _ in range(3):
        assert summarize_article(ARTICLE, settings=settings).text == "A scripted summary."
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "replies are not cached (said once until a write succeeds)" in warnings[0], warnings
    assert len(scripted.chat_requests) == 3


def test_a_cache_writable_again_says_its_next_failure(tmp_path, caplog):
    # The warning was given once per process: in a notebook, a disk full once hid every later failure.
    folder = tmp_path / "cache"
    cache = ResponseCache(folder)
    folder.write_text("x")  # a file where the folder goes: writes fail
    cache.put("ab" * 32, {"text": "t"})
    folder.unlink()
    cache.put("cd" * 32, {"text": "t"})  # written
    shutil.rmtree(folder)
    folder.write_text("x")
    cache.put("ef" * 32, {"text": "t"})
    assert sum("could not write the response cache" in r.getMessage() for r in caplog.records if r.levelname == "WARNING") == 2


def _hammer(folder: str, key: str, worker: int) -> None:
    cache = ResponseCache(folder)
    for i in range(60):
        cache.put(key, {"text": f"w{worker}-{i}-" + "x" * (2000 * (i % 5)), "prompt_tokens": i})


def test_concurrent_writers_never_leave_half_a_file(tmp_path):
    key = "cd" * 32
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_hammer, args=(str(tmp_path), key, w)) for w in range(3)]
    for worker in workers:
        worker.start()
    cache, reads = ResponseCache(tmp_path), 0
    while any(w.is_alive() for w in workers) or reads == 0:
        raw = cache.path(key).read_text(encoding="utf-8") if cache.path(key).exists() else None
        if raw is not None:
            json.loads(raw)  # never a partial file
            reads += 1
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert cache.get(key)["text"].startswith("w")
    assert [p.name for p in cache.path(key).parent.iterdir()] == [f"{key}.json"]  # no temporary files left


def test_the_library_answers_a_second_identical_call_from_the_cache(scripted, tmp_path):
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"))
    scripted.default = lambda seen: Step.reply("臺南摘要。" if "繁體中文" in seen.task_text else "A scripted summary.")
    first = summarize_article(ARTICLE, settings=settings)
    second = summarize_article(ARTICLE, settings=settings)
    assert len(scripted.chat_requests) == 1
    assert dataclasses.replace(second, usage=first.usage) == first
    # A reply from the cache is counted as one, not as a request sent (issue 12, item 21).
    assert (second.usage.requests, second.usage.cache_hits, first.usage.requests) == (0, 1, 1)
    summarize_article(ARTICLE, settings=settings, languages=("zh-Hant",))  # another prompt: another request
    assert len(scripted.chat_requests) == 2
    summarize_article(ARTICLE, settings=settings.replace(temperature=0.5))  # another parameter
    assert len(scripted.chat_requests) == 3
    summarize_article(ARTICLE, settings=settings, cache=False)  # the per-call opt-out
    assert len(scripted.chat_requests) == 4


def test_cache_false_neither_reads_nor_writes(scripted, tmp_path):
    settings = Settings(base_url=scripted.base_url, model="m", cache=False, cache_dir=str(tmp_path / "c"))
    summarize_article(ARTICLE, settings=settings)
    summarize_article(ARTICLE, settings=settings)
    assert len(scripted.chat_requests) == 2
    assert not (tmp_path / "c").exists()


def test_truncated_and_failed_replies_are_never_cached(scripted, tmp_path):
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"), max_retries=0)
    scripted.script(
        Step.reply("cut off mid", finish_reason="length"),
        Step.reply("cut off again", finish_reason="length"),  # the re-ask after a cut
        Step.error(500, {"error": {"message": "boom"}}),
        Step.reply("", finish_reason="stop"),
    )
    with pytest.raises(TruncatedOutputError):
        summarize_article(ARTICLE, settings=settings)
    with pytest.raises(EndpointError):
        summarize_article(ARTICLE, settings=settings)
    with pytest.raises(EndpointError, match="empty reply"):
        summarize_article(ARTICLE, settings=settings)
    assert not list((tmp_path / "c").rglob("*.json"))
    assert summarize_article(ARTICLE, settings=settings).text == "A scripted summary."
    assert len(scripted.chat_requests) == 5
    assert len(list((tmp_path / "c").rglob("*.json"))) == 1


def test_the_default_folder_is_the_users_cache_folder(scripted, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_dir() == tmp_path / "xdg" / "summarize" / "responses"
    summarize_article(ARTICLE, settings=Settings(base_url=scripted.base_url, model="m", cache=True))
    assert len(list((tmp_path / "xdg" / "summarize" / "responses").rglob("*.json"))) == 1


@pytest.mark.parametrize("xdg", ["~", "cache", " "])
def test_a_relative_xdg_cache_home_is_ignored_as_the_spec_says(monkeypatch, tmp_path, xdg):
    # "~" made ./~/summarize/responses under the current folder, holding every article summarized.
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.chdir(tmp_path)
    assert default_dir().is_absolute() and not default_dir().is_relative_to(tmp_path)


def test_a_cached_reply_is_made_printable_as_a_live_one_is(scripted, tmp_path):
    # A damaged or tampered cache file sent a terminal's escape sequences through to the output.
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"))
    first = summarize_article(ARTICLE, settings=settings)
    (path,) = (tmp_path / "c").rglob("*.json")
    stored = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(
        json.dumps({**stored, "text": "\x1b]0;PWNED\x07\x1b[2J" + stored["text"], "model": "m\x1b[31m"}), encoding="utf-8"
    )
    again = summarize_article(ARTICLE, settings=settings)
    assert len(scripted.chat_requests) == 1
    assert again.text.endswith(first.text) and not {"\x1b", "\x07"} & set(again.text + again.model)  # inert, as live


def test_cache_settings_come_from_the_environment(tmp_path):
    settings = Settings.from_env({"SUMMARIZE_CACHE": "off", "SUMMARIZE_CACHE_DIR": str(tmp_path)})
    assert settings.cache is False and settings.cache_dir == str(tmp_path)
    assert Settings.from_env({"SUMMARIZE_CACHE": "1"}).cache is True
    assert Settings().cache is True  # library calls use the cache unless told not to
    with pytest.raises(
        ConfigError, match=r"^SUMMARIZE_CACHE must be 1 or 0 \(true/false, yes/no, on/off\), got 'maybe'$"
    ):
        Settings.from_env({"SUMMARIZE_CACHE": "maybe"})


def test_tests_never_see_the_developers_cache():
    # conftest's clean_env: the cache is off for Settings.from_env and its folder is the test's own.
    assert os.environ["SUMMARIZE_CACHE"] == "0"
    assert Settings.from_env().cache is False
    assert default_dir() != Path.home() / ".cache" / "summarize" / "responses"


def test_stale_temporary_files_are_cleaned_and_replies_stay_private(tmp_path):
    import time

    cache = ResponseCache(tmp_path)
    key = "ef" * 32
    folder = cache.path(key).parent
    folder.mkdir(parents=True)
    stale, fresh, other = folder / ".summarize.a1b2c3d4.tmp", folder / ".summarize.q9w8e7r6.tmp", folder / "README"
    for path in (stale, fresh, other):
        path.write_text("{", encoding="utf-8")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    previous = os.umask(0o022)
    try:
        cache.put(key, {"text": "t"})
    finally:
        os.umask(previous)
    assert not stale.exists() and fresh.exists() and other.exists()
    # Replies hold the articles' content, in a folder shared by every run: not for other users.
    assert oct(cache.path(key).stat().st_mode & 0o777) == "0o600"


def test_a_cached_reply_with_no_text_is_a_miss(tmp_path):
    cache = ResponseCache(tmp_path)
    key = ResponseCache.key("http://a/v1", MESSAGES, OPTIONS)
    cache.put(key, {"text": "  ", "prompt_tokens": 5})
    assert cache.get(key) is None  # a live empty reply raises; a damaged entry is no summary either


def test_replies_a_run_flagged_are_not_replayed_and_those_it_kept_are(scripted, tmp_path):
    # Both replies in Chinese: the summary is kept flagged, and neither reply stays cached, so
    # a rerun (or batch --redo-flagged) asks again once the model or server is fixed.
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"), verify=False)
    chinese = "臺南市政府今天宣布擴大防災演練，共有三千名市民參加，明年將繼續辦理。"
    scripted.script(Step.reply(chinese), Step.reply(chinese))
    first = summarize_article(ARTICLE, settings=settings)
    assert "en-not-english" in first.flags and len(scripted.chat_requests) == 2
    assert not list((tmp_path / "c").rglob("*.json"))
    scripted.script(Step.reply(chinese), Step.reply("Tainan held a disaster drill with 3,000 residents."))
    fixed = summarize_article(ARTICLE, settings=settings)
    assert not fixed.flags and len(scripted.chat_requests) == 4
    # A re-ask that succeeded keeps both replies: the identical run after it sends nothing.
    again = summarize_article(ARTICLE, settings=settings)
    assert again.text == fixed.text and len(scripted.chat_requests) == 4 and again.usage.cache_hits == 2


def test_a_rerun_from_the_cache_asks_a_re_ask_the_way_the_server_reads_it(scripted, tmp_path):
    # llama-server is known by its replies' timings; a run answered from the cache learned
    # nothing, so its re-ask after a loop carried another repetition control, missed the cache,
    # and was sent again.
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"), verify=False)
    loop = "Tainan held a drill. " * 12
    timings = {"prompt_ms": 10.0, "predicted_ms": 20.0, "cache_n": 0}

    def answer(seen):
        text = "Tainan held a disaster drill with 3,000 residents." if seen.reasked else loop
        return Step(body={**completion(text), "timings": timings})

    scripted.default = answer
    first = summarize_article(ARTICLE, settings=settings)
    sent = len(scripted.chat_requests)
    assert sent == 2 and "dry_multiplier" in scripted.chat_requests[1].body  # llama.cpp's DRY sampler
    again = summarize_article(ARTICLE, settings=settings)
    assert again.text == first.text and len(scripted.chat_requests) == sent


def test_a_note_left_in_the_wrong_language_is_no_flag_and_stays_cached(scripted, tmp_path):
    # Only a flagged outcome's replies leave the cache: a note the model wrote in Chinese twice
    # feeds the summary, which is judged itself; dropping it would resend a long article's parts.
    settings = Settings(
        base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"), verify=False,
        method="abstractive", chunk_tokens=100,
    )
    article = "\n".join(f"第{i}項：臺南市政府今天公布第{i}號防災演練報告，共有{i * 7}名市民參加。" for i in range(12))

    def answer(seen):
        if seen.kind == "map" and "第0項" in seen.fenced:
            return Step.reply("臺南市政府公布防災演練報告，市民踴躍參加。")
        return Step.reply("Tainan reported on its disaster drills, which residents joined.")

    scripted.default = answer
    first = summarize_article(article, settings=settings)
    assert first.chunks > 1 and "en-not-english" not in first.flags
    sent = len(scripted.chat_requests)
    assert sum(r.kind == "map" and "第0項" in r.fenced for r in scripted.chat_requests) == 2  # asked, then re-asked
    again = summarize_article(article, settings=settings)
    assert again.text == first.text and len(scripted.chat_requests) == sent


def _two_asks_at_once(settings: Settings) -> list:
    """The same request from two clients of one cache folder at once, as two runs send it."""
    import asyncio

    from summarize.client import ChatClient

    async def ask() -> str:
        async with ChatClient(settings) as chat:
            return (await chat.chat(MESSAGES, model="m")).text

    async def both() -> list:
        return await asyncio.gather(ask(), ask(), return_exceptions=True)

    return asyncio.run(both())


def test_two_runs_asking_the_same_at_once_send_it_once(scripted, tmp_path):
    # Each looked into the cache, missed, and sent: two batches on one folder paid twice.
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"))
    scripted.default = lambda seen: Step.reply("A scripted summary.", delay=0.3)
    assert _two_asks_at_once(settings) == ["A scripted summary.", "A scripted summary."]
    assert len(scripted.chat_requests) == 1
    assert [p.suffix for p in (tmp_path / "c").rglob("*") if p.is_file()] == [".json"]  # no lock file left


def test_a_failed_request_leaves_the_run_waiting_on_it_to_send_its_own(scripted, tmp_path):
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"), max_retries=0)
    scripted.script(Step.error(400, {"error": {"message": "refused", "type": "invalid_request_error"}}, delay=0.3))
    scripted.default = lambda seen: Step.reply("A scripted summary.")
    results = _two_asks_at_once(settings)
    assert "A scripted summary." in results and any(isinstance(r, EndpointError) for r in results)
    assert len(scripted.chat_requests) == 2


def test_a_claim_left_by_a_killed_run_is_taken_over(scripted, tmp_path):
    # A run killed while asking leaves its lock file; the lock itself died with its process.
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(tmp_path / "c"))
    scripted.default = lambda seen: Step.reply("A scripted summary.")
    import asyncio

    from summarize.client import ChatClient

    chat = ChatClient(settings)
    key = ResponseCache.key(chat.base_url, MESSAGES, chat.request_options("m", settings.output_tokens))
    asyncio.run(chat.aclose())
    left = ResponseCache(tmp_path / "c").path(key).with_name(f".{key}.lock")
    left.parent.mkdir(parents=True)
    left.write_text("")
    assert _two_asks_at_once(settings) == ["A scripted summary.", "A scripted summary."]
    assert len(scripted.chat_requests) == 1 and not left.exists()


def test_a_cache_folder_that_takes_no_lock_file_still_answers(scripted, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = Settings(base_url=scripted.base_url, model="m", cache=True, cache_dir=str(blocker / "c"))
    scripted.default = lambda seen: Step.reply("A scripted summary.")
    assert _two_asks_at_once(settings) == ["A scripted summary.", "A scripted summary."]
    assert len(scripted.chat_requests) == 2  # nothing to claim with, nothing stored: each sent its own
