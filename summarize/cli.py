"""The ``summarize`` command: argument parsing and printing only.

::

    summarize FILE... | -            summaries (or --translate, --dry-run) of articles; stdin when piped
    summarize batch DIR_OR_GLOB --out DIR
    summarize batch export|import|submit|status ...   the same as a batch job (OpenAI batch files)
    summarize doctor                 check the configured endpoint

The commands are argparse subparsers. The first has no name on the command line: an argument
list that does not start with a command name goes to it (``route``). ``batch`` is built the
same way, so it can take subcommands of its own (``BATCH_COMMANDS``) while
``summarize batch DIR --out OUT`` keeps working.

Library errors become one line on stderr in one place (``main``): exit 2 for usage and
configuration, 1 for everything that failed at run time, 130 after Ctrl-C, 141 when the reader
of stdout went away (``| head``); a traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shlex
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, BinaryIO

from . import __version__, output, presets, prompts
from .config import AUTO, KEY_SENTENCES, METHODS, Settings
from .errors import ConfigError, InputError, SummarizeError
from .pipeline import check_languages
from .text import display, printable, read_article, shown, universal_newlines, without_keys

LANGUAGES = tuple(prompts.LANGUAGE_NAMES)
COMMANDS = ("batch", "doctor")
DEFAULT = "summarize"  # the subparser for FILE..., never typed
BATCH_COMMANDS: tuple[str, ...] = ("export", "import", "submit", "status")  # anything else is a batch run
BATCH_DEFAULT = "run"
USAGE = """summarize [options] FILE... | -
       summarize batch DIR_OR_GLOB --out DIR [options]   (summarize batch --help)
       summarize batch export|import|submit|status ...   (a batch job in OpenAI batch files)
       summarize doctor [options]"""
BATCH_USAGE = """summarize batch DIR_OR_GLOB --out DIR [options]
       summarize batch export DIR_OR_GLOB --out OUT     (write a round of OpenAI batch requests)
       summarize batch import OUT RESULTS.jsonl...      (read their results; write the next round)
       summarize batch submit DIR_OR_GLOB --out OUT     (run every round through a Batches API)
       summarize batch status OUT"""


class UsageError(Exception):
    """A command line that cannot work; exit 2."""


class OutputFailed(BaseException):
    """stdout cannot be written (a full disk, an I/O error): stop every article, since no result
    could reach the reader; the error is stdout's, not the article's it was printing.

    A ``BaseException`` for the reason ``OutputClosed`` is one.
    """

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


class OutputClosed(BaseException):
    """stdout's reader went away (``summarize a.txt b.txt | head -1``): stop every article.

    A ``BaseException``, like ``KeyboardInterrupt``, so that the per-article error handling of a
    run (which makes any ``Exception`` that article's failure) lets it through.
    """


# -- parsing -------------------------------------------------------------------------------


def _languages(text: str) -> tuple[str, ...]:
    codes = [code.strip() for code in text.split(",") if code.strip()]
    try:
        return check_languages(codes)
    except ValueError:
        hint = next(filter(None, map(prompts.language_hint, codes)), "")
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(LANGUAGES)}, got {text!r}{hint}"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seconds(text: str) -> float:
    """``--poll``: a number of seconds that ``batch_api.check_poll`` takes (0, a negative, nan
    or inf would poll a paid API in a tight loop, or never)."""
    from .batch_api import check_poll  # only when --poll is given: batch_api loads the batch machinery

    try:
        value = float(text)
        check_poll(value)
    except (ValueError, ConfigError):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}") from None
    return value


def _formats(text: str) -> tuple[str, ...]:
    """``--format md,json``: the list ``output.check_formats`` judges, said as the option is written."""
    try:
        return output.check_formats([f.strip().lower() for f in text.split(",") if f.strip()])
    except ConfigError:
        raise argparse.ArgumentTypeError(f"expected md, json or md,json, got {text!r}") from None


MODEL_HELP = "model name (SUMMARIZE_MODEL); default: the only one the endpoint lists"


# Why a command that takes no such option refuses it, by option.
_FOLDER_ONLY = "this command reads the job's own settings from its folder (they were fixed by batch export)"
_NO_SENDING = {
    "--concurrency": "a batch job's requests are run by the batch engine, which decides how many at once",
    "--no-cache": "a batch job's replies come from the batch engine, never from the response cache",
}


def _common(
    *, endpoint_options: bool = True, sends: bool = True, model_help: str = MODEL_HELP
) -> argparse.ArgumentParser:
    """The options every command takes. ``endpoint_options=False`` for a command that reads only
    what is on disk (``batch import``, ``batch status``), ``sends=False`` for one whose requests a
    batch engine runs (``batch export``, ``batch submit``): an option such a command would ignore
    is refused, with the reason."""
    common = argparse.ArgumentParser(add_help=False)
    if endpoint_options:
        _endpoint_options(common, model_help, sends)
    else:
        for option in ("--model", "--base-url", "--preset", "--concurrency", "--no-cache"):
            _refuse(common, option, _FOLDER_ONLY)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    common.add_argument("--debug", action="store_true", help="log requests and show tracebacks")
    return common


def _refuse(parser: argparse.ArgumentParser, option: str, why: str) -> None:
    """``option`` named with ``why`` when given, wherever it stands (before the command name too),
    not "unrecognized arguments", which also took the option's value for a positional argument."""
    parser.add_argument(option, nargs="?", action=_NotTaken, help=argparse.SUPPRESS, why=why)


class _NotTaken(argparse.Action):
    """An option a command would ignore: a usage error that says why."""

    def __init__(self, *args: Any, why: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.why = why

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: str | None = None) -> None:
        parser.error(f"{option} is not taken here: {self.why}")


def _endpoint_options(common: argparse.ArgumentParser, model_help: str, sends: bool) -> None:
    endpoint = common.add_argument_group(
        "endpoint (explicit options beat SUMMARIZE_* variables, which beat the preset)"
    )
    endpoint.add_argument("--model", help=model_help)
    endpoint.add_argument(
        "--base-url", help="OpenAI-compatible endpoint (SUMMARIZE_BASE_URL), e.g. http://localhost:8080/v1"
    )
    endpoint.add_argument(
        "--preset", type=str.lower, choices=list(presets.PRESETS), help="server preset: base URL and quirks (SUMMARIZE_PRESET)"
    )
    if not sends:
        for option, why in _NO_SENDING.items():
            _refuse(common, option, why)
        return
    endpoint.add_argument(
        "--concurrency", type=_positive, metavar="N", help="most requests in flight (SUMMARIZE_CONCURRENCY)"
    )
    endpoint.add_argument("--no-cache", action="store_true", help="neither read nor write the response cache")


def _work(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--languages",
        type=_languages,
        default=("en",),
        metavar="LIST",
        help="summary languages, comma-separated: en, zh-Hant (default en)",
    )
    parser.add_argument(
        "--method",
        type=str.lower,
        choices=list(METHODS),
        help="how a summary is written (SUMMARIZE_METHOD): abstractive, key-sentences (translate the "
        "article's key sentences, for small models), or auto (the default: key sentences below 3B parameters)",
    )
    parser.add_argument(
        "--translate",
        action="store_true",
        help="a full bilingual translation instead of a summary, into the one language --languages names "
        "(en: from Traditional Chinese; zh-Hant: from English)",
    )


def _partial(parser: argparse.ArgumentParser, more: str = "") -> None:
    parser.add_argument(
        "--partial",
        action="store_true",
        help="when a chunk of a long article fails for good, keep what the others gave (a summary of "
        f"them, or a translation with the failed paragraphs empty), flagged, instead of failing the article{more}",
    )


# A job's --partial is its own, kept in its folder, as every setting that shapes what it makes.
_JOB_PARTIAL = (
    "; kept with the job, so its imports and status follow it (given to a job started without it, it turns it on)"
)
_PARTIAL_KEPT = (
    "a job keeps the --partial it was exported or submitted with, which this command reads from its folder; "
    "to turn it on, run `summarize batch export` or `submit` again with --partial"
)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: a root parser whose subparsers are the commands (see ``route``)."""
    common = _common()
    root = argparse.ArgumentParser(prog="summarize", usage=USAGE)
    commands = root.add_subparsers(dest="command", metavar="COMMAND")

    files = commands.add_parser(
        DEFAULT,
        prog="summarize",
        usage=USAGE,
        parents=[common],
        description="Summarize Traditional-Chinese news articles into English through an OpenAI-compatible endpoint. "
        "With several files, each result prints as soon as it is ready.",
        epilog="Commands: `summarize batch DIR_OR_GLOB --out DIR` writes a result file per article and resumes; "
        "`summarize doctor` checks the endpoint. Each has --help.",
    )
    files.add_argument(
        "files", nargs="*", metavar="FILE", help="article files; - reads stdin (as does no FILE, when stdin is piped)"
    )
    _work(files)
    _partial(files)
    shape = files.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="one JSON object per article (JSON Lines)")
    shape.add_argument("--markdown", action="store_true", help="Markdown with a heading per article")
    files.add_argument(
        "--dry-run", action="store_true", help="send nothing: print the chunk plan, request count and prompt tokens"
    )
    files.add_argument("--version", action="version", version=f"summarize {__version__}")
    files.set_defaults(handler=cmd_summarize, parser=files)

    batch = commands.add_parser(
        "batch", prog="summarize batch", usage=BATCH_USAGE, help="summarize a folder into --out"
    )
    batch_commands = batch.add_subparsers(dest="batch_command", metavar="COMMAND")
    run = batch_commands.add_parser(
        BATCH_DEFAULT,
        prog="summarize batch",
        usage=BATCH_USAGE,
        parents=[common],
        description="Summarize every article of a folder or glob into --out, one file per article and format. "
        "Finished articles are skipped, so an interrupted batch resumes; failures are listed at the end. "
        "Nothing is sent when --out lies inside the folder read or two articles would write the same file.",
    )
    run.add_argument("articles", metavar="DIR_OR_GLOB", help="a folder (its .txt and .md files) or a glob")
    run.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the results (outside DIR)")
    run.add_argument(
        "--format",
        type=_formats,
        default=output.FORMATS,
        metavar="md,json",
        help="what to write per article (default md,json)",
    )
    run.add_argument(
        "--redo-flagged",
        action="store_true",
        help="also redo finished articles whose output is partial, cut, in the wrong language or flagged "
        "(e.g. after switching to a stronger model)",
    )
    run.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="also read symlinks that lead outside the folder (skipped by default: an untrusted folder "
        "could link to private files)",
    )
    _work(run)
    _partial(run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="send and write nothing: print the plan of each article still to do, and the total",
    )
    run.set_defaults(handler=cmd_batch, parser=run)
    for action in BATCH_COMMANDS:
        _add_job_parser(batch_commands, action, common)

    doctor = commands.add_parser(
        "doctor",
        prog="summarize doctor",
        parents=[common],
        help="check the configured endpoint",
        description="Check the configured endpoint: reachable, /models, one tiny completion, thinking, context size.",
    )
    doctor.set_defaults(handler=cmd_doctor, parser=doctor)
    return root


def _global_options() -> dict[str, bool]:
    """The options every command takes (``_common``), each with whether it takes a value."""
    return {name: action.nargs != 0 for action in _common()._actions for name in action.option_strings}


def _leading_options(argv: list[str], start: int, options: dict[str, bool]) -> int:
    """Where the run of global options that starts at ``argv[start]`` ends."""
    i = start
    while i < len(argv) and (name := argv[i].split("=", 1)[0]) in options:
        i += 2 if options[name] and name == argv[i] else 1  # "--model=m" is one token
    return i


def route(argv: list[str]) -> list[str]:
    """``argv`` with the subcommand names argparse needs: ``summarize a.txt`` is the unnamed
    summarize command, ``summarize batch news --out o`` is ``batch run``. Global options
    (``_common``: ``-q``, ``--debug``, ``--model``, ...) may come before a command name
    (``summarize -q doctor``); they are moved after it, where its parser reads them."""
    options = _global_options()
    skip = _leading_options(argv, 0, options)
    if skip >= len(argv) or argv[skip] not in COMMANDS:
        return [DEFAULT, *argv]
    lead, command = argv[:skip], argv[skip]
    if command != "batch":
        return [command, *lead, *argv[skip + 1 :]]
    rest = argv[skip + 1 :]
    after = _leading_options(rest, 0, options)  # summarize batch -q export ...
    if after < len(rest) and rest[after] in BATCH_COMMANDS:
        return ["batch", rest[after], *lead, *rest[:after], *rest[after + 1 :]]
    return ["batch", BATCH_DEFAULT, *lead, *rest]


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment with the options given on the command line on top."""
    overrides: dict[str, Any] = {
        name: getattr(args, name)
        for name in ("model", "base_url", "preset", "concurrency", "method")
        if getattr(args, name, None) is not None
    }
    if getattr(args, "no_cache", False):
        overrides["cache"] = False
    try:
        return Settings.from_env(**overrides)
    except ConfigError as exc:
        # A bad argument is named as Python would pass it ("model holds a line break"); here
        # the user gave the option.
        message = str(exc)
        for name in overrides:
            if message.startswith(f"{name} "):
                raise ConfigError(f"--{name.replace('_', '-')}{message[len(name):]}") from None
        raise


def _resuming(args: argparse.Namespace) -> str:
    """What running an interrupted command again redoes: only the unfinished, when replies are
    cached (or a batch's finished articles are on disk), else everything."""
    if args.handler is cmd_job:
        return "run it again to resume (the job's state is kept in its folder)"
    if args.handler is cmd_doctor:  # its checks use no cache: there is nothing to resume
        return "run it again to check again"
    from .cache import ResponseCache

    try:
        settings = settings_from(args)
    except SummarizeError:
        settings = None
    # A cache whose writes failed (a file where its folder goes) holds none of this run's replies.
    unwritable = settings is not None and settings.cache and ResponseCache(settings.cache_dir).unwritable
    if settings is not None and settings.cache and not unwritable:
        return "run it again to resume (finished replies are cached)"
    if args.handler is cmd_batch:
        return (
            "run it again to resume: the articles written to --out are skipped, the others are sent "
            f"again in full (the response cache {'could not be written' if unwritable else 'is off'})"
        )
    if unwritable:
        return "the response cache could not be written (the warning above says why), so running it again sends every request again"
    return "the response cache is off (SUMMARIZE_CACHE=0 or --no-cache), so running it again sends every request again"


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
        """A line above the bar; nothing when no bar is drawn."""
        if not self.bar.disable:
            self.bar.write(text, file=sys.stderr)

    def note(self, text: str) -> None:
        """A line on stderr, drawn above the bar when there is one."""
        if self.bar.disable:
            print(text, file=sys.stderr)
        else:
            self.bar.write(text, file=sys.stderr)

    def printing(self) -> AbstractContextManager[Any]:
        """Where a result goes to stdout: the bar, on the same terminal, is cleared before and drawn
        again after, or the result began on the bar's line ("replies=1]==> py.txt <==")."""
        return nullcontext() if self.bar.disable else self.bar.external_write_mode(file=sys.stdout)

    def logs_above(self) -> AbstractContextManager[Any]:
        """While the bar is drawn, log lines go above it, as ``note`` does, not after it on its line."""
        from tqdm.contrib.logging import logging_redirect_tqdm

        return nullcontext() if self.bar.disable else logging_redirect_tqdm(tqdm_class=type(self.bar))

    def close(self) -> None:
        self.bar.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(printable(str(exc)).split()) or type(exc).__name__


def _describe(exc: BaseException, source: str | None = None) -> str:
    """One line for one article's failure; the type too when it is not one we expect (a bug).
    A message that starts with the article's name, ``source``, is given without it: the line
    names the article already."""
    from .errors import ChunkFailedError, SummarizeError

    # "Pass partial=True ..." is advice for a Python caller: the command's own is --partial.
    if isinstance(exc, ChunkFailedError):
        advice = " Pass --partial to keep what the other chunks gave, flagged." if exc.keeps_others else ""
        line = " ".join(printable(exc.reason + advice).split())
    else:
        line = _one_line(exc)
    if source is not None:
        line = line.removeprefix(f"{' '.join(printable(display(source)).split())}: ")
    if isinstance(exc, (SummarizeError, OSError, ValueError, TypeError)):
        return line
    return f"{type(exc).__name__}: {line}"


def _jobs(files: list[str]) -> list[Any]:
    """A job per input, every file checked before anything is sent; stdin when it is piped and no FILE is given.

    Raises:
        UsageError: a file is missing, a folder or unreadable, empty or not UTF-8; stdin is wanted
            twice, empty or not UTF-8.
    """
    from .batch import Job

    if not files:
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("give one or more FILEs, or - to read stdin")
        text = _read_stdin()
        if not text.strip():
            raise UsageError("give one or more FILEs, or - to read stdin (nothing was piped in)")
        return [Job("-", text=text)]
    if files.count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    jobs = []
    given: dict[str, str] = {}  # a regular file's real path → the name it was first given by
    for name in files:
        if name == "-":
            text = _read_stdin()
            if not text.strip():  # as with no FILE: nothing to send
                raise UsageError("stdin (-) is empty: pipe an article into it, or give FILEs")
            jobs.append(Job("-", text=text))
            continue
        if display(name) != name:  # found now, not after the other FILEs were sent
            raise UsageError(
                f"{shown(name)}: the file name is not valid UTF-8; rename it (e.g. convmv -f big5 -t utf-8 --notest FILE)"
            )
        path = Path(name)
        if path.is_dir():
            raise UsageError(f"{name}: is a folder (summarize batch reads folders)")
        try:
            os.stat(path)
        except FileNotFoundError:
            broken = " (a symlink to a file that is not there)" if path.is_symlink() else ""
            raise UsageError(f"{name}: no such file{broken}") from None
        except OSError as exc:  # a symlink loop, a name too long: what the system says, not "no such file"
            raise UsageError(f"{name}: {(exc.strerror or str(exc)).lower()}") from None
        if not os.access(path, os.R_OK):
            raise UsageError(f"{name}: permission denied")
        if path.is_file():
            # The same file twice (py.txt ./py.txt) was summarized once per name, all at once: as
            # many requests for one article, and as many different summaries of it.
            real = os.path.realpath(path)
            if real in given:
                again = "given again" if given[real] == name else f"{shown(given[real])} again"
                print(f"summarize: warning: {shown(name)} is {again}; it is summarized once", file=sys.stderr)
                continue
            given[real] = name
        # Read now, a pipe (/dev/stdin, a shell's <(command)) like a file: one not UTF-8, or
        # empty, is a usage error found before anything is sent, as the same bytes on stdin are.
        try:
            with open(path, "rb") as stream:
                text = _read(stream, name)
        except OSError as exc:
            raise UsageError(f"{name}: {(exc.strerror or str(exc)).lower()}") from None
        if not text.strip():
            raise UsageError(f"{name} is empty: give a file that holds an article")
        jobs.append(Job(name, text=text))
    return jobs


def _read_stdin() -> str:
    """Stdin as UTF-8, as files are read, whatever the locale (a C or cp1252 locale decoded a
    UTF-8 article into lone surrogates or mojibake, and the mojibake was sent).

    Raises:
        UsageError: stdin is closed (``<&-``: Python then has no ``sys.stdin`` at all), or not UTF-8.
    """
    if sys.stdin is None:
        raise UsageError("stdin (-) is closed: pipe an article into it, or give FILEs")
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # replaced by a text-only stream (a test, an embedding program)
        return universal_newlines(sys.stdin.read())
    return _read(stream, "stdin")


def _read(stream: BinaryIO, source: str) -> str:
    """The article ``stream`` holds (``text.read_article``); a usage error if it is refused."""
    try:
        return read_article(stream, source)
    except InputError as exc:
        raise UsageError(str(exc)) from None


def _print(text: str) -> None:
    """Write to stdout now (a Ctrl-C keeps what was printed); a closed pipe stops the run."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise OutputClosed from None
    except OSError as exc:  # a full disk: "art.txt: [Errno 28]" blamed the article
        _silence_stdout()
        raise OutputFailed(exc) from None


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit; into a closed pipe that prints a second error.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def cmd_summarize(args: argparse.Namespace) -> int:
    from .batch import run_jobs

    jobs = _jobs(args.files)
    settings = settings_from(args)
    if args.dry_run:
        return _dry_run(jobs, settings, args)
    progress = _Progress(len(jobs), args.quiet)
    several = len(jobs) > 1
    # On a terminal, one plain summary shows as it streams in; the checked text follows only
    # when it differs from what streamed (a loop cut, a re-ask).
    streamed: list[str] | None = (
        [] if not (several or args.json or args.markdown or args.translate) and sys.stdout.isatty() else None
    )

    def stream(piece: str) -> None:
        if streamed is None:
            return
        if not streamed:
            progress.close()
        streamed.append(piece)
        _print(piece)

    def show(outcome: Any) -> None:
        """Print one article's result (or failure) as soon as it is ready, in the order they finish."""
        progress.done()
        source = outcome.job.source
        if outcome.error is not None:
            _end_streamed_line(streamed)  # the error starts a line of its own
            progress.note(f"summarize: {shown(source)}: {_describe(outcome.error, source)}")
            return
        result = outcome.result
        with progress.printing():
            if args.json:
                _print(output.to_json(result, source=source, elapsed=outcome.elapsed) + "\n")
            elif args.markdown:
                _print(output.to_markdown(result, title=shown(Path(source).name) if source != "-" else "stdin") + "\n")
            elif streamed:
                text = output.to_text(result)
                if "".join(streamed).strip() == result.text.strip() and text.strip() == result.text.strip():
                    _print("\n")
                else:
                    _print("\n\n--- checked ---\n" + text)
            else:
                _print((f"==> {shown(source)} <==\n" if several else "") + output.to_text(result) + ("\n" if several else ""))
        if not (args.json or args.markdown):  # plain text has no room for the notes --json and --markdown carry
            for line in output.flag_lines(result):
                progress.note(f"summarize: warning: {'stdin' if source == '-' else shown(source)}: {line}")

    # A warning while a summary streams (a re-ask: "came back in the wrong language; asking once
    # more") starts on a line of its own, and so does the text streamed after it: on a terminal,
    # stdout and stderr share the screen.
    line_break = _EndStreamedLine(streamed)
    # Log lines go above the progress bar; it puts handlers of its own in the root logger's, so
    # the filters, added after it, go on those.
    with progress.logs_above(), _filtering(_NameArticle(), several), _filtering(line_break, streamed is not None):
        try:
            outcomes = asyncio.run(
                run_jobs(
                    jobs,
                    settings,
                    languages=args.languages,
                    translate=args.translate,
                    partial=args.partial,
                    on_done=show,
                    on_reply=progress.reply,
                    on_text=stream if streamed is not None else None,
                )
            )
        except KeyboardInterrupt:
            _end_streamed_line(streamed)  # "interrupted" starts a line of its own, not the half-printed one's end
            raise
        finally:
            progress.close()
    failures = [o for o in outcomes if o.error is not None]
    if failures and args.debug and failures[0].error is not None:
        _traceback(failures[0].error)  # the first failure's: the exit status stays what it is without --debug
    return _exit_status(outcomes)


@contextmanager
def _filtering(log_filter: logging.Filter, wanted: bool) -> Iterator[None]:
    """``log_filter`` on every handler of the root logger while the block runs, when ``wanted``."""
    handlers = list(logging.getLogger().handlers) if wanted else []
    for handler in handlers:
        handler.addFilter(log_filter)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(log_filter)


def _exit_status(outcomes: list[Any]) -> int:
    """0 when every article succeeded; 2 when each failed on a setting (``ConfigError``, found once
    the model is known: no article can run under it, a usage error); else 1."""
    failures = [o for o in outcomes if o.error is not None]
    if failures and len(failures) == len(outcomes) and all(isinstance(o.error, ConfigError) for o in failures):
        return 2
    return 1 if failures else 0


class _NameArticle(logging.Filter):
    """Starts a log line of the library with the article it is about, when several run at once
    ("summarize: warning: a2.txt: 'Kyoto' written as ..."): their warnings interleave."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .batch import ARTICLE

        source = ARTICLE.get()
        if source is not None and record.name.startswith("summarize") and not getattr(record, "article_named", False):
            record.msg, record.args = f"{'stdin' if source == '-' else shown(source)}: {record.getMessage()}", ()
            record.article_named = True  # once, however many handlers the record passes
        return True


class _EndStreamedLine(logging.Filter):
    """Ends the line a streaming summary left open on stdout before a log line goes to stderr."""

    def __init__(self, streamed: list[str] | None) -> None:
        super().__init__()
        self.streamed = streamed

    def filter(self, record: logging.LogRecord) -> bool:
        _end_streamed_line(self.streamed)
        return True


def _end_streamed_line(streamed: list[str] | None) -> None:
    """End the line a streaming summary left open on stdout, so that what stderr says next
    (a log line, an article's failure) starts a line of its own on a shared terminal."""
    if streamed and not streamed[-1].endswith("\n"):
        streamed.append("\n")
        _print("\n")


# A dry run lists every chunk's size up to this many; a longer plan (a book: 439 chunks) shows its
# first and last sizes and its range, and --json lists them all.
SIZES_SHOWN = 12


def chunk_sizes(chunks: Sequence[int]) -> str:
    """The token counts of a plan's chunks as a dry run prints them: ``[1490, 1502, 1230]``, or for
    more than ``SIZES_SHOWN`` chunks ``[1490, 1502, 1488, ..., 1230] (439 sizes from 1,230 to
    1,510; --json lists each)``."""
    if len(chunks) <= SIZES_SHOWN:
        return "[" + ", ".join(map(str, chunks)) + "]"
    head = ", ".join(map(str, chunks[: SIZES_SHOWN - 2]))
    return (
        f"[{head}, ..., {chunks[-1]}] ({len(chunks)} sizes from {min(chunks):,} to {max(chunks):,}; "
        "--json lists each)"
    )


def _plan(job: Any, settings: Settings, args: argparse.Namespace) -> Any:
    from .plan import plan_article, plan_translation

    if args.translate:
        return plan_translation(job.read(), settings, args.languages[0])
    return plan_article(job.read(), settings, args.languages)


def _dry_run(jobs: list[Any], settings: Settings, args: argparse.Namespace) -> int:
    return _print_plans([(job.source, _plan(job, settings, args)) for job in jobs], settings, args)


def _print_plans(records: list[tuple[str, Any]], settings: Settings, args: argparse.Namespace) -> int:
    """A dry run's plans, as text or (``--json``) JSON Lines."""
    if not records:
        return 0
    if getattr(args, "json", False):
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
                        "method": "translation" if args.translate else plan.method,
                        "key_sentences": plan.key_sentences,
                        "sentences": plan.sentences,
                        "method_reason": plan.method_reason,
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    print(f"dry run: nothing sent to {settings.base_url}")
    print(f"tokenizer: {records[0][1].tokenizer_reason}")
    if settings.method == AUTO and not settings.model and not args.translate:
        print(
            "method: abstractive, since no model is set and a dry run does not ask /models; a model under 3B "
            "parameters gets key sentences: pass --model for its plan"
        )
    for source, plan in records:
        sizes = chunk_sizes(plan.chunks)
        if plan.method == KEY_SENTENCES:
            print(f"{shown(source)}: key sentences: {plan.key_sentences} of {plan.sentences} sentences, {plan.budget} tokens")
            what = "their translation" if plan.requests else "a zh-Hant summary is the sentences themselves"
            print(f"  requests: {plan.requests} ({what}); prompt tokens: {plan.prompt_tokens}")
            continue
        if plan.method_reason:
            print(f"{shown(source)}: {plan.method_reason}")
        print(f"{shown(source)}: {len(plan.chunks)} chunk(s) of at most {plan.budget} tokens: {sizes}")
        if args.translate:
            names = f" + {plan.map_requests} name extraction" if plan.map_requests else ""
            print(
                f"  requests: {plan.requests} ({plan.final_requests} translation{names}); prompt tokens: {plan.prompt_tokens}"
            )
            continue
        if not plan.estimated and not plan.map_requests:
            print(f"  requests: {plan.requests} ({plan.final_requests} summary); prompt tokens: {plan.prompt_tokens}")
            continue
        if not plan.estimated:
            print(
                f"  requests: {plan.requests} ({plan.map_requests} map, the notes joined are the summary); "
                f"prompt tokens: {plan.prompt_tokens}"
            )
            continue
        merges = f"0-{plan.reduce_requests}" if plan.reduce_requests else "0"
        count = f"{plan.min_requests}-{plan.requests}" if plan.reduce_requests else str(plan.requests)
        print(
            f"  requests: {count} ({plan.map_requests} map + {merges} merge + {plan.final_requests} final); "
            f"prompt tokens: {plan.map_prompt_tokens} in map requests, at most {plan.prompt_tokens} in all"
        )
        print("  (the upper bounds assume every note runs to its token limit)")
    if len(records) > 1:
        print(
            # Not "at most": a reply re-asked (Chinese, a loop) or sent for repair costs more, and
            # on the reference model most key-sentence runs take one or more.
            f"total: {sum(p.requests for _, p in records)} requests and {sum(p.prompt_tokens for _, p in records)} "
            "prompt tokens as planned, before any re-ask or repair"
        )
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import (
        BatchError, Job, changed_since, check_outputs_match, check_replaceable, file_digest, find_articles, is_done,
        plan_outputs, run_jobs,
    )

    settings = settings_from(args)
    out = args.out.expanduser()
    try:
        articles = find_articles(args.articles, follow_symlinks=args.follow_symlinks)
    except FileNotFoundError as exc:  # as a FILE that is not there: a usage error
        raise UsageError(str(exc)) from exc
    try:
        targets = plan_outputs(articles, out, args.format, create=not args.dry_run)
        check_outputs_match(targets, translate=args.translate, languages=args.languages)
    except BatchError as exc:
        raise UsageError(str(exc)) from exc
    if articles.skipped:
        print(
            f"skipped {len(articles.skipped)} symlink(s) pointing outside {articles.root}: "
            f"{', '.join(shown(str(p)) for p in articles.skipped)} (pass --follow-symlinks to read them)",
            file=sys.stderr,
        )
    files = articles.files
    # What each article holds now: a finished one whose record was made from another text (a
    # figure corrected since) is summarized again, and the new record keeps what it was made from.
    digests = {str(f): file_digest(f) for f in files} if "json" in args.format else {}
    done = {f for f in files if is_done(targets[str(f)], redo_flagged=args.redo_flagged)}
    changed = [f for f in files if f in done and changed_since(targets[str(f)], digests.get(str(f)))]
    if changed:
        print(
            f"{len(changed)} article(s) changed since their result was written, summarized again: "
            f"{', '.join(shown(str(f)) for f in changed[:3])}{', ...' if len(changed) > 3 else ''}",
            file=sys.stderr,
        )
    todo = [Job(str(f), path=f) for f in files if f in changed or f not in done]
    try:
        check_replaceable(p for job in todo for p in targets[job.source].values())
    except BatchError as exc:
        raise UsageError(str(exc)) from exc
    if args.dry_run:  # before anything is written or removed
        return _batch_dry_run(todo, len(files), settings, args)
    if out.is_dir():
        stale = output.remove_stale_temps(out)
        if stale:
            print(
                f"removed {len(stale)} stale temporary file(s) that an interrupted run left in {out}", file=sys.stderr
            )
    skipped = len(files) - len(todo)
    progress = _Progress(len(todo), args.quiet)
    counted: set[str] = set()

    def write(outcome: Any) -> None:
        # Called again with the failure when writing fails (a full disk): count the article once.
        if outcome.job.source not in counted:
            counted.add(outcome.job.source)
            progress.done()
        if outcome.error is not None:
            progress.write(f"failed: {shown(outcome.job.source)}: {_describe(outcome.error, outcome.job.source)}")
            return
        paths = targets[outcome.job.source]
        title = shown(Path(outcome.job.source).name)
        if "json" in paths:
            output.write_atomic(
                paths["json"],
                output.to_json(
                    outcome.result, source=outcome.job.source, elapsed=outcome.elapsed,
                    source_sha256=digests.get(outcome.job.source),
                ) + "\n",
            )
        if "md" in paths:
            output.write_atomic(paths["md"], output.to_markdown(outcome.result, title=title))

    try:
        with progress.logs_above(), _filtering(_NameArticle(), len(todo) > 1):
            outcomes = (
                asyncio.run(
                    run_jobs(
                        todo,
                        settings,
                        languages=args.languages,
                        translate=args.translate,
                        partial=args.partial,
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
        print(
            f"failed: {shown(outcome.job.source)}: {_describe(outcome.error or Exception('unknown'), outcome.job.source)}",
            file=sys.stderr,
        )
    if failures and args.debug and failures[0].error is not None:
        _traceback(failures[0].error)  # the first failure's: the exit status stays what it is without --debug
    return _exit_status(outcomes)


def _batch_dry_run(todo: list[Any], total: int, settings: Settings, args: argparse.Namespace) -> int:
    """What a batch run would send for the articles it would summarize (``todo``, chosen as the
    run chooses them), and which of those it could not read. Nothing is sent, written or removed."""
    records, unreadable = [], []
    for job in todo:
        try:
            records.append((job.source, _plan(job, settings, args)))
        except (InputError, OSError) as exc:
            unreadable.append(f"{shown(job.source)}: {exc}")
    print(f"{total - len(todo)} of {total} article(s) already done, skipped")
    _print_plans(records, settings, args)
    for line in unreadable:
        print(f"would fail: {line}")
    return 0


# -- batch jobs: OpenAI-format batch files, round by round (summarize.jobs) ----------------


def _add_job_parser(commands: Any, action: str, common: argparse.ArgumentParser) -> None:
    """``summarize batch ACTION``: a batch job run through a batch engine in rounds (summarize.jobs)."""
    about = {
        "export": "Plan every article and write the job's first round of requests as OpenAI batch JSONL "
        "under --out (paths printed). Answer them with any batch engine, then `summarize batch import`.",
        "import": "Store a results file's replies (OpenAI, DashScope or vllm run-batch format, any order), write "
        "finished articles' outputs, and write the next round of requests if any remain (paths printed).",
        "submit": "Run the job through the endpoint's Files and Batches API (OpenAI, DashScope), round by round, "
        "until every article is done. Run it again after an interruption: it resumes by the batch IDs it recorded.",
        "status": "Where a job stands: rounds, articles done, failed and waiting (and which of those are "
        "asked again after a rate limit, a server error, an engine crash or exception, at which attempt).",
    }[action]
    if action in ("import", "status"):  # they read the job folder: the job's own settings shape everything
        common = _common(endpoint_options=False)
    elif action == "export":  # it asks no endpoint which models it serves
        common = _common(sends=False, model_help="model name written into every request (SUMMARIZE_MODEL); required")
    elif action == "submit":
        common = _common(sends=False)
    parser = commands.add_parser(
        action, prog=f"summarize batch {action}", parents=[common], description=about, help=about.split(" (")[0]
    )
    parser.set_defaults(command_action=action, handler=cmd_job, parser=parser)
    if action in ("export", "submit"):
        parser.add_argument("articles", metavar="DIR_OR_GLOB", help="a folder (its .txt and .md files) or a glob")
        parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="the job folder: outputs and state")
        parser.add_argument(
            "--format", type=_formats, metavar="md,json",
            help="what to write per article (default md,json; a job that exists keeps its own)",
        )
        parser.add_argument("--max-lines", type=_positive, metavar="N", help="most requests per file (default 50000)")
        _work(parser)
        _partial(parser, _JOB_PARTIAL)
    else:
        parser.add_argument("out", type=Path, metavar="OUT", help="the job folder given to export")
        _refuse(parser, "--partial", _PARTIAL_KEPT)
    if action == "import":
        parser.add_argument("results", nargs="+", metavar="RESULTS.jsonl", help="batch output (and error) files")
    if action == "submit":
        parser.add_argument("--poll", type=_seconds, default=30.0, metavar="SECONDS", help="seconds between status checks (default 30)")


def cmd_job(args: argparse.Namespace) -> int:
    from .batch import BatchError

    try:
        return _job(args)
    except BatchError as exc:  # refused before anything is written or sent: a usage error, as online
        raise UsageError(str(exc)) from exc
    except FileNotFoundError as exc:
        if args.command_action not in ("export", "submit"):
            raise
        # No articles where export and submit were told to look: input that is not there, as online.
        raise UsageError(str(exc)) from exc


def _job(args: argparse.Namespace) -> int:
    from . import jobs

    if args.command_action == "export":
        report = jobs.export_round(
            args.articles, args.out, settings=settings_from(args), languages=args.languages,
            translate=args.translate, formats=args.format, partial=args.partial, max_lines=args.max_lines,
        )
    elif args.command_action == "import":
        progress = _Progress(None, args.quiet)  # a count of articles finished: how many will is not known yet
        try:
            with progress.logs_above():
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
            translate=args.translate, formats=args.format, partial=args.partial, max_lines=args.max_lines,
            poll=args.poll, on_progress=show,
        )
    for file in report.files:
        print(file.path)
    stored = f"{report.stored} replies stored; " if args.command_action == "import" else ""
    # Articles asked again after a failure that passes are told apart from those that wait for
    # a first answer: status said "waiting" of both, and only import's log said why.
    first = report.waiting - report.waiting_again
    retrying = f": {report.said_retrying()}{f', {first} awaiting a first reply' if first else ''}" if report.waiting_again else ""
    where = (
        f"round {report.round}: {report.requests} requests in {len(report.files)} file(s) for {report.waiting} article(s)"
        f"{retrying}; answer them, then `summarize batch import {shlex.quote(display(args.out))} RESULTS.jsonl`"
        if report.files
        else f"every article is finished; results in {args.out}"
    )
    skipped = f", {report.skipped} already done" if report.skipped else ""
    print(f"{stored}{report.done} done{skipped}, {report.failed} failed; {where}", file=sys.stderr)
    for group in report.retrying:
        more = f" and {group.articles - 1} more" if group.articles > 1 else ""
        print(
            f"retrying: {shown(group.source)}{more}, attempt {group.attempt} of {group.attempts} after {group.reason}: "
            f"{group.message}",
            file=sys.stderr,
        )
    for source, message in report.failures:
        print(f"failed: {shown(source)}: {message}", file=sys.stderr)
    if report.retryable:
        print(
            f"to try the failed articles again, run `summarize batch {'submit' if args.command_action == 'submit' else 'export'}` "
            f"again with --out {shlex.quote(display(args.out))}: their "
            "requests go into a new round (and are paid again)",
            file=sys.stderr,
        )
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


class _Redact(logging.Filter):
    """Keeps credentials out of ``--debug``'s log lines: the configured keys and any bearer token,
    wherever a record carries them (httpcore logs response headers, and a server may echo the key
    in one, such as ``WWW-Authenticate``)."""

    BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s'\",;)\]}]+")

    def __init__(self, keys: list[str]) -> None:
        super().__init__()
        self.keys = keys

    def redact(self, text: str) -> str:
        return without_keys(self.BEARER.sub(r"\1[redacted]", text), self.keys, "[redacted]")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        return True


def _redact_logs(args: argparse.Namespace) -> None:
    """Put a ``_Redact`` on every handler of the root logger (once)."""
    keys = [os.environ.get(name) or "" for name in ("SUMMARIZE_API_KEY", "OPENAI_API_KEY")]
    try:
        keys.append(settings_from(args).api_key or "")
    except SummarizeError:
        pass  # the run reports it
    redact = _Redact(keys)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, _Redact)]:
            handler.removeFilter(old)
        handler.addFilter(redact)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failed at run time, 2 usage)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if sys.stderr is None:  # started with stderr closed (2>&-, a cron line): diagnostics go nowhere
        # print(file=None) writes to stdout: every warning and error landed among the results (a
        # --json reader got lines that are not JSON), and the progress line's isatty() crashed.
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    args, unknown = build_parser().parse_known_args(route(argv))  # exits 2 with a usage line
    parser = args.parser
    if unknown:  # said with the command's own usage, not the root's
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    # Options that would be ignored without a word in the company they are given in.
    if getattr(args, "translate", False) and getattr(args, "method", None):
        parser.error("--method is not taken with --translate: it chooses how a summary is written, and --translate "
                     "writes a full translation")
    if getattr(args, "translate", False) and len(getattr(args, "languages", None) or ()) > 1:
        # "Into the first of --languages": the others were dropped without a word.
        parser.error(f"--translate writes one language, got --languages {','.join(args.languages)}: give "
                     f"--languages {args.languages[0]} (or run once per language)")
    if getattr(args, "dry_run", False) and getattr(args, "markdown", False):
        parser.error("--markdown is not taken with --dry-run: a dry run prints its plan as text, or as JSON with --json")
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(levelname)s: %(message)s")
        _redact_logs(args)
    else:  # the library's warnings, one line each
        logging.basicConfig(level=logging.WARNING, format="summarize: warning: %(message)s")
    if sys.stdout is None and args.handler is not cmd_batch:  # started with stdout closed (>&-)
        # Nothing could be printed: not worth a request, nor a run that seems to succeed.
        print(f"{parser.prog}: error: stdout is closed, so nothing could be printed: redirect it to a file "
              "or /dev/null instead of closing it", file=sys.stderr)
        return 2
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(f"summarize: interrupted; {_resuming(args)}", file=sys.stderr)
        return 130
    except OutputClosed:
        return 141  # what a shell reports for a program ended by SIGPIPE, as `git log | head` is
    except OutputFailed as exc:
        print(
            f"{parser.prog}: error: the results could not be written to stdout "
            f"({exc.error.strerror or exc.error}); the run stopped",
            file=sys.stderr,
        )
        return 1
    except BrokenPipeError:
        _silence_stdout()
        return 141
    # --debug adds the traceback and changes nothing else: the message and exit status stay.
    except (UsageError, ConfigError) as exc:
        if args.debug:
            _traceback(exc)
        print(f"{parser.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (SummarizeError, OSError, ValueError, TypeError) as exc:
        if args.debug:
            _traceback(exc)
        print(f"{parser.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, and the way to see more
        if args.debug:
            _traceback(exc)
        hint = "" if args.debug else " (--debug shows the traceback)"
        print(f"{parser.prog}: internal error: {type(exc).__name__}: {_one_line(exc)}{hint}", file=sys.stderr)
        return 1


def _traceback(exc: BaseException) -> None:
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
