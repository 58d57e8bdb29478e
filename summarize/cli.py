"""The ``summarize`` command: argument parsing and printing only.

::

    summarize FILE... | -            summaries (or --translate, --dry-run) of articles
    summarize batch DIR_OR_GLOB --out DIR
    summarize batch export|import|submit|status ...   the same as a batch job (OpenAI batch files)
    summarize doctor                 check the configured endpoint

Library errors become one line on stderr in one place (``main``): exit 2 for usage and
configuration, 1 for everything that failed at run time; a traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from . import __version__, output, presets, prompts
from .config import Settings
from .errors import ConfigError, SummarizeError
from .pipeline import check_languages

LANGUAGES = tuple(prompts.LANGUAGE_NAMES)
COMMANDS = ("batch", "doctor")
FORMATS = ("md", "json")


class UsageError(Exception):
    """A command line that cannot work; exit 2."""


# -- parsing -------------------------------------------------------------------------------


def _languages(text: str) -> tuple[str, ...]:
    try:
        return check_languages([code.strip() for code in text.split(",") if code.strip()])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(LANGUAGES)}, got {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    if not formats or any(f not in FORMATS for f in formats):
        raise argparse.ArgumentTypeError(f"expected md, json or md,json, got {text!r}")
    return formats


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    endpoint = common.add_argument_group(
        "endpoint (explicit options beat SUMMARIZE_* variables, which beat the preset)"
    )
    endpoint.add_argument("--model", help="model name (SUMMARIZE_MODEL); default: the only one the endpoint lists")
    endpoint.add_argument(
        "--base-url", help="OpenAI-compatible endpoint (SUMMARIZE_BASE_URL), e.g. http://localhost:8080/v1"
    )
    endpoint.add_argument(
        "--preset", type=str.lower, choices=list(presets.PRESETS), help="server preset: base URL and quirks (SUMMARIZE_PRESET)"
    )
    endpoint.add_argument(
        "--concurrency", type=_positive, metavar="N", help="most requests in flight (SUMMARIZE_CONCURRENCY)"
    )
    endpoint.add_argument("--no-cache", action="store_true", help="neither read nor write the response cache")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    common.add_argument("--debug", action="store_true", help="log requests and show tracebacks")
    return common


def _work(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--languages",
        type=_languages,
        default=("en",),
        metavar="LIST",
        help="summary languages, comma-separated: en, zh-Hant (default en)",
    )
    parser.add_argument(
        "--translate",
        action="store_true",
        help="a full bilingual translation instead of a summary, into the first of --languages "
        "(en: from Traditional Chinese; zh-Hant: from English)",
    )


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    common = _common()
    if command is not None and command.startswith("batch "):
        return _job_parser(command.split()[1], common)
    if command == "batch":
        parser = argparse.ArgumentParser(
            prog="summarize batch",
            parents=[common],
            description="Summarize every article of a folder or glob into --out, one file per article and format. "
            "Finished articles are skipped, so an interrupted batch resumes; failures are listed at the end.",
        )
        parser.add_argument("articles", metavar="DIR_OR_GLOB", help="a folder (its .txt and .md files) or a glob")
        parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the results")
        parser.add_argument(
            "--format",
            type=_formats,
            default=FORMATS,
            metavar="md,json",
            help="what to write per article (default md,json)",
        )
        parser.add_argument(
            "--redo-flagged",
            action="store_true",
            help="also redo finished articles whose output is partial, cut or in the wrong language "
            "(e.g. after switching to a stronger model)",
        )
        _work(parser)
        return parser
    if command == "doctor":
        return argparse.ArgumentParser(
            prog="summarize doctor",
            parents=[common],
            description="Check the configured endpoint: reachable, /models, one tiny completion, thinking, context size.",
        )
    parser = argparse.ArgumentParser(
        prog="summarize",
        parents=[common],
        description="Summarize Traditional-Chinese news articles into English through an OpenAI-compatible endpoint.",
        epilog="Also: `summarize batch DIR_OR_GLOB --out DIR` and `summarize doctor` (each has --help).",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="article files; - reads stdin")
    _work(parser)
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="one JSON object per article (JSON Lines)")
    shape.add_argument("--markdown", action="store_true", help="Markdown with a heading per article")
    parser.add_argument(
        "--dry-run", action="store_true", help="send nothing: print the chunk plan, request count and prompt tokens"
    )
    parser.add_argument("--version", action="version", version=f"summarize {__version__}")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment with the options given on the command line on top."""
    overrides: dict[str, Any] = {
        name: getattr(args, name)
        for name in ("model", "base_url", "preset", "concurrency")
        if getattr(args, name, None) is not None
    }
    if args.no_cache:
        overrides["cache"] = False
    return Settings.from_env(**overrides)


# -- printing ------------------------------------------------------------------------------


class _Progress:
    """Articles done, with the replies so far as the postfix (so one long article shows progress too)."""

    def __init__(self, total: int | None, quiet: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=total, unit="article", file=sys.stderr, disable=quiet or not sys.stderr.isatty(), leave=False
        )
        self.replies = 0

    def reply(self, _reply: Any) -> None:
        self.replies += 1
        self.bar.set_postfix(replies=self.replies)

    def done(self, _outcome: Any = None) -> None:
        self.bar.update()

    def write(self, text: str) -> None:
        if not self.bar.disable:
            self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _jobs(files: list[str]) -> list[Any]:
    from .batch import Job

    if not files:
        raise UsageError("give one or more FILEs, or - to read stdin")
    if files.count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    jobs = []
    for name in files:
        if name == "-":
            jobs.append(Job("-", text=sys.stdin.read()))
        else:
            jobs.append(Job(name, path=Path(name)))
    return jobs


def cmd_summarize(args: argparse.Namespace) -> int:
    from .batch import run_jobs

    jobs = _jobs(args.files)
    settings = settings_from(args)
    if args.dry_run:
        return _dry_run(jobs, settings, args)
    progress = _Progress(len(jobs), args.quiet)
    try:
        outcomes = asyncio.run(
            run_jobs(
                jobs,
                settings,
                languages=args.languages,
                translate=args.translate,
                on_done=progress.done,
                on_reply=progress.reply,
            )
        )
    finally:
        progress.close()
    failed = 0
    for outcome in outcomes:
        source = outcome.job.source
        if outcome.error is not None:
            failed += 1
            if args.debug:
                raise outcome.error
            print(f"summarize: {source}: {_one_line(outcome.error)}", file=sys.stderr)
            continue
        result = outcome.result
        if args.json:
            sys.stdout.write(output.to_json(result, source=source, elapsed=outcome.elapsed) + "\n")
        elif args.markdown:
            sys.stdout.write(output.to_markdown(result, title=Path(source).name if source != "-" else "stdin") + "\n")
        else:
            if len(jobs) > 1:
                sys.stdout.write(f"==> {source} <==\n")
            sys.stdout.write(output.to_text(result) + ("\n" if len(jobs) > 1 else ""))
    return 1 if failed else 0


def _dry_run(jobs: list[Any], settings: Settings, args: argparse.Namespace) -> int:
    from .plan import plan_article, plan_translation

    records = []
    for job in jobs:
        if args.translate:
            plan = plan_translation(job.read(), settings, args.languages[0])
        else:
            plan = plan_article(job.read(), settings, args.languages)
        records.append((job.source, plan))
    if args.json:
        import json

        for source, plan in records:
            print(
                json.dumps(
                    {
                        "file": source,
                        "tokenizer": plan.tokenizer,
                        "tokenizer_reason": plan.tokenizer_reason,
                        "chunk_budget": plan.budget,
                        "chunks": list(plan.chunks),
                        "requests": plan.requests,
                        "min_requests": plan.min_requests,
                        "prompt_tokens": plan.prompt_tokens,
                        "map_prompt_tokens": plan.map_prompt_tokens,
                        "estimated": plan.estimated,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    print(f"dry run: nothing sent to {settings.base_url}")
    print(f"tokenizer: {records[0][1].tokenizer_reason}")
    for source, plan in records:
        sizes = ", ".join(str(t) for t in plan.chunks)
        print(f"{source}: {len(plan.chunks)} chunk(s) of at most {plan.budget} tokens: [{sizes}]")
        if args.translate:
            names = f" + {plan.map_requests} name extraction" if plan.map_requests else ""
            print(
                f"  requests: {plan.requests} ({plan.final_requests} translation{names}); prompt tokens: {plan.prompt_tokens}"
            )
            continue
        if not plan.estimated:
            print(f"  requests: {plan.requests} ({plan.final_requests} summary); prompt tokens: {plan.prompt_tokens}")
            continue
        merges = f"0-{plan.reduce_requests}" if plan.reduce_requests else "0"
        count = f"{plan.min_requests}-{plan.requests}" if plan.reduce_requests else str(plan.requests)
        print(
            f"  requests: {count} ({plan.map_requests} map + {merges} merge + {plan.final_requests} final); "
            f"prompt tokens: {plan.map_prompt_tokens} in map requests, at most {plan.prompt_tokens} in all"
        )
        print(f"  (the upper bounds assume notes as long as SUMMARIZE_OUTPUT_TOKENS={settings.output_tokens})")
    if len(records) > 1:
        print(
            f"total: at most {sum(p.requests for _, p in records)} requests and {sum(p.prompt_tokens for _, p in records)} prompt tokens"
        )
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import Job, find_articles, is_done, output_paths, run_jobs

    settings = settings_from(args)
    out = args.out.expanduser()
    files, base = find_articles(args.articles)
    out_resolved = out.resolve()
    files = [f for f in files if out_resolved not in f.resolve().parents]  # never our own results
    targets = {str(f): output_paths(f, base, out, args.format) for f in files}
    todo = [Job(str(f), path=f) for f in files if not is_done(targets[str(f)], redo_flagged=args.redo_flagged)]
    skipped = len(files) - len(todo)
    progress = _Progress(len(todo), args.quiet)

    def write(outcome: Any) -> None:
        progress.done()
        if outcome.error is not None:
            progress.write(f"failed: {outcome.job.source}: {_one_line(outcome.error)}")
            return
        paths = targets[outcome.job.source]
        title = Path(outcome.job.source).name
        if "json" in paths:
            output.write_atomic(
                paths["json"], output.to_json(outcome.result, source=outcome.job.source, elapsed=outcome.elapsed) + "\n"
            )
        if "md" in paths:
            output.write_atomic(paths["md"], output.to_markdown(outcome.result, title=title))

    try:
        outcomes = (
            asyncio.run(
                run_jobs(
                    todo,
                    settings,
                    languages=args.languages,
                    translate=args.translate,
                    on_done=write,
                    on_reply=progress.reply,
                )
            )
            if todo
            else []
        )
    finally:
        progress.close()
    failures = [o for o in outcomes if o.error is not None]
    print(
        f"{len(outcomes) - len(failures)} done, {skipped} already done, {len(failures)} failed; results in {out}",
        file=sys.stderr,
    )
    for outcome in failures:
        if args.debug:
            raise outcome.error
        print(f"failed: {outcome.job.source}: {_one_line(outcome.error)}", file=sys.stderr)
    return 1 if failures else 0


# -- batch jobs: OpenAI-format batch files, round by round (summarize.jobs) ----------------

JOB_ACTIONS = ("export", "import", "submit", "status")


def _job_parser(action: str, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    about = {
        "export": "Plan every article and write the job's first round of requests as OpenAI batch JSONL "
        "under --out (paths printed). Answer them with any batch engine, then `summarize batch import`.",
        "import": "Store a results file's replies (OpenAI, DashScope or vllm run-batch format, any order), write "
        "finished articles' outputs, and write the next round of requests if any remain (paths printed).",
        "submit": "Run the job through the endpoint's Files and Batches API (OpenAI, DashScope), round by round, "
        "until every article is done. Run it again after an interruption: it resumes by the batch IDs it recorded.",
        "status": "Where a job stands: rounds, articles done, failed and waiting.",
    }[action]
    parser = argparse.ArgumentParser(prog=f"summarize batch {action}", parents=[common], description=about)
    parser.set_defaults(command_action=action)
    if action in ("export", "submit"):
        parser.add_argument("articles", metavar="DIR_OR_GLOB", help="a folder (its .txt and .md files) or a glob")
        parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="the job folder: outputs and state")
        parser.add_argument("--format", type=_formats, default=FORMATS, metavar="md,json", help="what to write per article")
        parser.add_argument("--max-lines", type=_positive, metavar="N", help="most requests per file (default 50000)")
        _work(parser)
    else:
        parser.add_argument("out", type=Path, metavar="OUT", help="the job folder given to export")
    if action == "import":
        parser.add_argument("results", nargs="+", metavar="RESULTS.jsonl", help="batch output (and error) files")
    if action == "submit":
        parser.add_argument("--poll", type=float, default=30.0, metavar="SECONDS", help="seconds between status checks (default 30)")
    return parser


def cmd_job(args: argparse.Namespace) -> int:
    from . import jobs

    if args.command_action == "export":
        report = jobs.export_round(
            args.articles, args.out, settings=settings_from(args), languages=args.languages,
            translate=args.translate, formats=args.format, max_lines=args.max_lines or jobs.MAX_LINES,
        )
    elif args.command_action == "import":
        progress = _Progress(None, args.quiet)  # a count of articles finished: how many will is not known yet
        try:
            report = jobs.import_results(args.out, *args.results, on_article=lambda *_: progress.done())
        finally:
            progress.close()
    elif args.command_action == "status":
        report = jobs.status(args.out)
    else:
        def show(text: str) -> None:
            if not args.quiet:
                print(f"summarize: {text}", file=sys.stderr)

        from . import batch_api

        report = batch_api.submit(
            args.articles, args.out, settings=settings_from(args), languages=args.languages,
            translate=args.translate, formats=args.format, max_lines=args.max_lines or jobs.MAX_LINES,
            poll=args.poll, on_progress=show,
        )
    for file in report.files:
        print(file.path)
    stored = f"{report.stored} replies stored; " if args.command_action == "import" else ""
    where = (
        f"round {report.round}: {report.requests} requests in {len(report.files)} file(s) for {report.waiting} article(s); "
        f"answer them, then `summarize batch import {args.out} RESULTS.jsonl`"
        if report.files
        else f"every article is finished; results in {args.out}"
    )
    skipped = f", {report.skipped} already done" if report.skipped else ""
    print(f"{stored}{report.done} done{skipped}, {report.failed} failed; {where}", file=sys.stderr)
    for source, message in report.failures:
        print(f"failed: {source}: {message}", file=sys.stderr)
    return 1 if report.failures else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import FAIL, diagnose

    checks = asyncio.run(diagnose(settings_from(args)))
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for check in checks:
        print(f"[{marks[check.status]}] {check.name}: {check.detail}")
        if check.fix:
            print(f"       fix: {check.fix}")
    failed = any(c.status == FAIL for c in checks)
    print("the endpoint is ready" if not failed else "the endpoint is not ready: fix the FAIL lines above")
    return 1 if failed else 0


# -- the one place errors become messages --------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failed at run time, 2 usage)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    if command == "batch" and argv[1:2] and argv[1] in JOB_ACTIONS:  # summarize batch export|import|submit|status
        command, argv = f"batch {argv[1]}", argv[1:]
    parser = build_parser(command)
    args = parser.parse_args(argv[1:] if command else argv)  # exits 2 with a usage line
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(levelname)s: %(message)s")
    else:  # the library's warnings, one line each
        logging.basicConfig(level=logging.WARNING, format="summarize: warning: %(message)s")
    run = {"batch": cmd_batch, "doctor": cmd_doctor, None: cmd_summarize}.get(command, cmd_job)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("summarize: interrupted; run it again to resume (finished replies are cached)", file=sys.stderr)
        return 130
    except (UsageError, ConfigError) as exc:
        if args.debug:
            raise
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (SummarizeError, OSError, ValueError, TypeError) as exc:
        if args.debug:
            raise
        print(f"{parser.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, and the way to see more
        if args.debug:
            raise
        print(
            f"{parser.prog}: internal error: {type(exc).__name__}: {_one_line(exc)} (--debug shows the traceback)",
            file=sys.stderr,
        )
        return 1
