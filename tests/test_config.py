"""Settings: explicit arguments > environment > defaults, and errors that name the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from summarize import ConfigError, Settings
from summarize import config
from summarize.config import OPENAI_BASE_URL, PLACEHOLDER_API_KEY


def test_defaults():
    s = Settings.from_env({})
    assert (s.base_url, s.model, s.context_tokens, s.chunk_tokens, s.concurrency) == (OPENAI_BASE_URL, None, 8192, None, 4)
    assert s.max_retries == 3 and s.timeout == 120


@pytest.mark.parametrize(
    "env, field, expected",
    [
        ({"SUMMARIZE_BASE_URL": "http://localhost:11434/v1/"}, "base_url", "http://localhost:11434/v1"),
        ({"OPENAI_BASE_URL": "http://a.test:1/v1"}, "base_url", "http://a.test:1/v1"),
        ({"SUMMARIZE_BASE_URL": "http://s.test/v1", "OPENAI_BASE_URL": "http://o.test/v1"}, "base_url", "http://s.test/v1"),
        ({"OPENAI_API_KEY": "k1"}, "api_key", "k1"),
        ({"SUMMARIZE_API_KEY": "k2", "OPENAI_API_KEY": "k1"}, "api_key", "k2"),
        ({"SUMMARIZE_MODEL": "qwen3:8b"}, "model", "qwen3:8b"),
        ({"SUMMARIZE_CONTEXT_TOKENS": "32768"}, "context_tokens", 32768),
        ({"SUMMARIZE_CHUNK_TOKENS": "300"}, "chunk_tokens", 300),
        ({"SUMMARIZE_CONCURRENCY": "8"}, "concurrency", 8),
        ({"SUMMARIZE_TIMEOUT": "2.5"}, "timeout", 2.5),
        ({"SUMMARIZE_MAX_RETRIES": "0"}, "max_retries", 0),
        ({"SUMMARIZE_TEMPERATURE": "2"}, "temperature", 2.0),
        ({"SUMMARIZE_TEMPERATURE": "0"}, "temperature", 0.0),
        ({"SUMMARIZE_MODEL": ""}, "model", None),
        ({"SUMMARIZE_TRANSLATION_CONTEXT": "on"}, "translation_context", True),
        ({}, "translation_context", False),
    ],
)
def test_environment_variables(env, field, expected):
    assert getattr(Settings.from_env(env), field) == expected


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SUMMARIZE_CONCURRENCY": "abc"}, "SUMMARIZE_CONCURRENCY must be a positive integer"),
        ({"SUMMARIZE_CONCURRENCY": "0"}, "SUMMARIZE_CONCURRENCY must be a positive integer"),
        ({"SUMMARIZE_CONTEXT_TOKENS": "8k"}, "SUMMARIZE_CONTEXT_TOKENS must be a positive integer"),
        ({"SUMMARIZE_CHUNK_TOKENS": "-5"}, "SUMMARIZE_CHUNK_TOKENS must be a positive integer"),
        ({"SUMMARIZE_TIMEOUT": "soon"}, "SUMMARIZE_TIMEOUT must be a positive number of seconds"),
        ({"SUMMARIZE_TIMEOUT": "nan"}, "SUMMARIZE_TIMEOUT must be a positive number of seconds"),
        ({"SUMMARIZE_MAX_RETRIES": "-1"}, "SUMMARIZE_MAX_RETRIES must be a whole number >= 0"),
        ({"SUMMARIZE_TEMPERATURE": "1e308"}, "SUMMARIZE_TEMPERATURE must be a number from 0 to 2"),
        ({"SUMMARIZE_TEMPERATURE": "2.01"}, "SUMMARIZE_TEMPERATURE must be a number from 0 to 2"),
        ({"SUMMARIZE_TEMPERATURE": "-0.1"}, "SUMMARIZE_TEMPERATURE must be a number from 0 to 2"),
        ({"SUMMARIZE_BASE_URL": "localhost:11434"}, "SUMMARIZE_BASE_URL must be an http:// or https:// URL"),
        ({"OPENAI_BASE_URL": "ftp://x"}, "OPENAI_BASE_URL must be an http:// or https:// URL"),
    ],
)
def test_malformed_values_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message) as info:
        Settings.from_env(env)
    assert isinstance(info.value, ValueError)
    assert repr(next(iter(env.values()))) in str(info.value)


def test_explicit_arguments_beat_environment():
    s = Settings.from_env({"SUMMARIZE_MODEL": "env-model", "SUMMARIZE_CONCURRENCY": "2"}, model="arg-model")
    assert s.model == "arg-model" and s.concurrency == 2


@pytest.mark.parametrize(
    "name, what",
    [
        ("\u200b", "an invisible character (U+200B)"),
        ("qwen3\u200b:8b", "an invisible character (U+200B)"),
        ("\ufeffqwen3:8b", "an invisible character (U+FEFF)"),
        ("a\nb", "a line break (U+000A)"),
        ("qwen3:8b\r\nX-Injected: 1", "a line break (U+000D)"),
        ("a\u2028b", "a line break (U+2028)"),
        ("a\tb", "a control character (U+0009)"),
        ("a\x00b", "a control character (U+0000)"),
        ("qwen3\u00a08b", "an invisible character (U+00A0)"),
        # A variable set in Latin-1 (SUMMARIZE_MODEL=m\xe9): Python keeps the byte as U+DCE9,
        # which was called an invisible character.
        ("qwen-caf\udce9", "a byte that is not UTF-8 (0xE9"),
    ],
)
def test_a_model_name_with_a_line_break_or_an_invisible_character_is_refused(name, what):
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"SUMMARIZE_MODEL": name})
    assert str(info.value).startswith(f"SUMMARIZE_MODEL holds {what}")
    # An argument is named as it was given, not by a variable the user never set.
    for build in (lambda: Settings(model=name), lambda: Settings.from_env({}, model=name), lambda: Settings().replace(model=name)):
        with pytest.raises(ConfigError) as info:
            build()
        assert str(info.value).startswith(f"model holds {what}") and "SUMMARIZE_MODEL" not in str(info.value)


@pytest.mark.parametrize("name", [" ", "\n", " \t "])
def test_an_empty_model_name_is_refused(name):
    with pytest.raises(ConfigError, match="SUMMARIZE_MODEL must be a model name the endpoint serves"):
        Settings.from_env({"SUMMARIZE_MODEL": name})
    with pytest.raises(ConfigError, match="model must be a model name the endpoint serves"):
        Settings(model=name)


@pytest.mark.parametrize("name", ["qwen3:8b", "Qwen/Qwen3-8B", "qwen2.5-coder:1.5b-instruct-q4_K_M", "通義千問", "My Model 7B"])
def test_model_names_as_servers_list_them_are_kept(name):
    assert Settings(model=f" {name}\n").model == name
    assert Settings.from_env({"SUMMARIZE_MODEL": f"{name}\n"}).model == name


@pytest.mark.parametrize(
    "env, override, field, expected",
    [
        ({"SUMMARIZE_TIMEOUT": "30s"}, {"timeout": 30.0}, "timeout", 30.0),
        ({"SUMMARIZE_CONCURRENCY": "many"}, {"concurrency": 2}, "concurrency", 2),
        # The fallback variable is the same setting: overridden, it is not read either.
        ({"OPENAI_BASE_URL": "localhost:8000"}, {"base_url": "http://127.0.0.1:8000/v1"}, "base_url", "http://127.0.0.1:8000/v1"),
        ({"SUMMARIZE_BASE_URL": "http://alice:secret@gpu-box/v1"}, {"base_url": "http://gpu-box/v1"}, "base_url", "http://gpu-box/v1"),
    ],
)
def test_a_malformed_variable_an_argument_overrides_is_not_read(env, override, field, expected):
    assert getattr(Settings.from_env(env, **override), field) == expected


GATEWAY = {"OPENAI_BASE_URL": "https://gateway.example.com/v1", "OPENAI_API_KEY": "sk-for-other-tools-0123456789"}


@pytest.mark.parametrize(
    "env, overrides",
    [
        ({**GATEWAY, "SUMMARIZE_PRESET": "ollama"}, {}),
        (GATEWAY, {"preset": "ollama"}),  # summarize --preset ollama
        ({**GATEWAY, "SUMMARIZE_PRESET": "dashscope"}, {"preset": "ollama"}),
    ],
)
def test_a_preset_names_the_server_over_an_openai_base_url_set_for_other_tools(env, overrides):
    # OPENAI_BASE_URL, set for other tools, beat the preset asked for: `summarize --preset
    # ollama` sent the article, and OPENAI_API_KEY, to the gateway it names.
    settings = Settings.from_env(env, **overrides)
    assert settings.base_url == "http://localhost:11434/v1"
    assert settings.origin("base_url") == ", preset ollama's"
    assert settings.api_key is None and settings.withheld_key() == "OPENAI_API_KEY"
    assert Settings.from_env(GATEWAY).replace(preset="ollama").base_url == "http://localhost:11434/v1"
    # What summarize's own variable or an argument names still wins over the preset.
    assert Settings.from_env({**env, "SUMMARIZE_BASE_URL": "http://gpu-box:11434/v1"}, **overrides).base_url == "http://gpu-box:11434/v1"
    assert Settings.from_env(env, **overrides, base_url="http://gpu-box:11434/v1").base_url == "http://gpu-box:11434/v1"
    # Without a preset OPENAI_BASE_URL is read, with its key, as before.
    assert Settings.from_env(GATEWAY).base_url == "https://gateway.example.com/v1"
    assert Settings.from_env(GATEWAY).api_key == GATEWAY["OPENAI_API_KEY"]


def test_settings_are_checked_against_each_other_only_once_merged():
    env = {"SUMMARIZE_CONTEXT_TOKENS": "4096", "SUMMARIZE_OUTPUT_TOKENS": "5000"}
    assert Settings.from_env(env, output_tokens=1000).output_tokens == 1000
    assert Settings.from_env(env, context_tokens=8192).context_tokens == 8192
    # A conflict that remains names the values that would be used, not the replaced one.
    with pytest.raises(ConfigError, match=r"output_tokens \(6000\) .* context_tokens \(4096, from SUMMARIZE_CONTEXT_TOKENS\)"):
        Settings.from_env(env, output_tokens=6000)


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings().replace(modle="x")


@pytest.mark.parametrize(
    "name, meant",
    [
        ("modle", "model"), ("concurency", "concurrency"), ("api-key", "api_key"), ("glosary", "glossary"),
        # The public functions' own keywords, and what other APIs call a setting.
        ("language", "languages"), ("max_tokens", "output_tokens"), ("words", "summary_words"), ("url", "base_url"),
    ],
)
def test_an_unknown_setting_names_the_one_it_was_likely_meant_for(name, meant):
    with pytest.raises(ConfigError, match=rf"unknown setting\(s\) {name} \(did you mean '{meant}'\?\); valid: base_url, "):
        Settings.from_env({}, **{name: 1})


def test_an_unknown_setting_far_from_any_is_named_without_a_guess():
    with pytest.raises(ConfigError) as info:
        Settings().replace(colour="blue")
    assert "did you mean" not in str(info.value) and "unknown setting(s) colour; valid: " in str(info.value)


def test_the_arguments_a_misspelt_setting_may_be_meant_for_are_the_public_functions_keywords():
    import inspect

    import summarize

    public = {"summarize_article", "asummarize_article", "translate_article", "atranslate_article"}
    keywords = {
        p.name for name in public for p in inspect.signature(getattr(summarize, name)).parameters.values()
        if p.kind is p.KEYWORD_ONLY
    }
    assert keywords == set(config.ARGUMENTS)
    for name in public:  # each function's own, its async twin's the same
        own = {p.name for p in inspect.signature(getattr(summarize, name)).parameters.values() if p.kind is p.KEYWORD_ONLY}
        assert own == set(config.FUNCTION_ARGUMENTS[name.removeprefix("a") if name.startswith("a") else name])


@pytest.mark.parametrize(
    "call, kwargs, message",
    [
        # The other function's argument: the settings' check called it unknown and asked
        # "did you mean 'languages'?" of languages= itself.
        ("translate_article", {"languages": ("zh-Hant",)}, re.escape("translate_article takes no languages=: it translates into one language: target='en'")),
        ("translate_article", {"on_text": print}, "translate_article takes no on_text=: it does not stream"),
        ("summarize_article", {"target": "en"}, re.escape("summarize_article takes no target=: it takes languages=('en',)")),
        # What a translate_article caller means by these is its target, not summarize_article's languages.
        ("translate_article", {"language": "en"}, r"translate_article takes no language= \(did you mean 'target'\?\)"),
        ("translate_article", {"lang": "zh-Hant"}, r"translate_article takes no lang= \(did you mean 'target'\?\)"),
    ],
)
@pytest.mark.parametrize("twin", [False, True])
def test_an_argument_of_the_other_public_function_says_what_this_one_takes(call, kwargs, message, twin, monkeypatch):
    import asyncio

    import summarize

    monkeypatch.delenv("SUMMARIZE_BASE_URL", raising=False)
    # English text: checked against the default target first, translate_article would say "in English already".
    article = "Hello world. This is an English article, which a caller meant to translate into Chinese."
    with pytest.raises(ConfigError, match=message):
        if twin:
            asyncio.run(getattr(summarize, "a" + call)(article, **kwargs))
        else:
            getattr(summarize, call)(article, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"concurrency": 0}, {"concurrency": True}, {"context_tokens": "8192"}, {"timeout": -1},
        # A number's setting takes a number, as a count's takes an int: "30" is refused alike.
        {"timeout": "30"}, {"temperature": "0.5"}, {"retry_backoff": True}, {"concurrency": 2.0},
        {"temperature": 1e308}, {"temperature": 2.5},
    ],
)
def test_direct_construction_is_validated(kwargs):
    with pytest.raises(ConfigError):
        Settings(**kwargs)


def test_a_number_setting_takes_an_int_or_a_float():
    settings = Settings(timeout=30, temperature=1, retry_backoff=0.5)
    assert (settings.timeout, settings.temperature, settings.retry_backoff) == (30.0, 1.0, 0.5)


@pytest.mark.parametrize(
    "kwargs, says",
    [
        # "verify must be 1 or 0 (true/false, yes/no, on/off), got 0": the words are the variable's.
        ({"verify": 0}, "verify must be True or False, got int 0"),
        ({"verify": "false"}, "verify must be True or False, got str 'false'"),
        ({"cache": "0"}, "cache must be True or False, got str '0'"),
        ({"translation_context": 1}, "translation_context must be True or False, got int 1"),
        # A text setting was str()-ed: model=5 went to the server as the model "5".
        ({"model": 5}, "model must be a str: a model name the endpoint serves, got int 5"),
        ({"tokenizer": None}, "tokenizer must be a str: auto, qwen"),
        ({"cache_dir": 0}, "cache_dir must be a str or os.PathLike: a folder path, got int 0"),
        ({"glossary": 0}, "glossary must be a str or os.PathLike: a glossary file path"),
        ({"concurrency": "4"}, "concurrency must be a positive integer, e.g. 4, got str '4'"),
        ({"timeout": True}, "timeout must be a positive number of seconds, e.g. 120, got bool True"),
    ],
)
def test_an_argument_of_the_wrong_type_is_refused_naming_the_type_wanted(kwargs, says):
    for build in (lambda: Settings(**kwargs), lambda: Settings.from_env({}, **kwargs), lambda: Settings().replace(**kwargs)):
        with pytest.raises(ConfigError) as info:
            build()
        assert str(info.value).startswith(says)


def test_a_key_of_the_wrong_type_is_refused_without_showing_it():
    with pytest.raises(ConfigError) as info:
        Settings(api_key=123456789)
    assert str(info.value) == "api_key must be a str: a non-empty key, got int"


def test_a_path_setting_takes_a_path_object():
    settings = Settings(cache_dir=Path("/tmp/cache"), glossary=Path("names.tsv"))
    assert (settings.cache_dir, settings.glossary) == ("/tmp/cache", "names.tsv")


@pytest.mark.parametrize(
    "build, says",
    [
        # Each value named with where it came from: the variable to change only where one was read.
        (lambda: Settings.from_env({"SUMMARIZE_OUTPUT_TOKENS": "9000"}),
         "output_tokens (9000, from SUMMARIZE_OUTPUT_TOKENS) must be smaller than context_tokens (8192, the default)"),
        (lambda: Settings.from_env({"SUMMARIZE_PRESET": "ollama"}, output_tokens=9000),
         "output_tokens (9000) must be smaller than context_tokens (4096, preset ollama's)"),
        (lambda: Settings(context_tokens=1000, output_tokens=1000),
         "output_tokens (1000) must be smaller than context_tokens (1000)"),
        (lambda: Settings.from_env({"SUMMARIZE_CONTEXT_TOKENS": "2048"}).replace(output_tokens=4096),
         "output_tokens (4096) must be smaller than context_tokens (2048, from SUMMARIZE_CONTEXT_TOKENS)"),
    ],
)
def test_output_reserve_must_fit_context(monkeypatch, build, says):
    monkeypatch.setenv("SUMMARIZE_OUTPUT_TOKENS", "100")  # never read by a Settings built directly
    with pytest.raises(ConfigError) as info:
        build()
    assert str(info.value).startswith(says)
    if "from SUMMARIZE" not in says:
        assert "SUMMARIZE_" not in str(info.value)


@pytest.mark.parametrize("build", [
    lambda: Settings(output_tokens=1),
    lambda: Settings(output_tokens=39),
    lambda: Settings.from_env({"SUMMARIZE_OUTPUT_TOKENS": "1"}),
])
def test_a_reply_cap_too_small_for_any_summary_is_refused_saying_the_least(build):
    with pytest.raises(ConfigError, match="(output_tokens|SUMMARIZE_OUTPUT_TOKENS) must be a whole number of at least 40"):
        build()


@pytest.mark.parametrize("output_tokens", [40, 41, 100, 241])
@pytest.mark.parametrize("language", ["en", "zh-Hant"])
def test_a_reply_cap_below_the_summary_is_told_a_summary_length_that_exists(output_tokens, language):
    # output_tokens=1 was told to "lower SUMMARIZE_SUMMARY_WORDS to 0 or less".
    import re

    from summarize.budget import check_summary_room

    with pytest.raises(ConfigError) as info:
        check_summary_room(Settings(output_tokens=output_tokens), [language])
    words = int(re.search(r"SUMMARIZE_SUMMARY_WORDS to (\d+) or less", str(info.value)).group(1))
    assert words >= 1
    check_summary_room(Settings(output_tokens=output_tokens, summary_words=words), [language])  # and it fits


def test_key_is_hidden_from_repr():
    s = Settings(api_key="sk-secret-value-123456")
    assert "sk-secret" not in repr(s) and "sk-secret" not in str(s)
    assert "***" in repr(s)


def test_a_settings_built_directly_does_not_send_the_user_to_variables_it_ignores(monkeypatch):
    # SUMMARIZE_BASE_URL at a local server, and Settings(model=...) passed: the message said
    # "point SUMMARIZE_BASE_URL at a local server", which the user had done.
    monkeypatch.setenv("SUMMARIZE_BASE_URL", "http://127.0.0.1:8080/v1")
    for settings in (Settings(model="qwen3-8b"), Settings(model="qwen3-8b").replace(concurrency=2)):
        with pytest.raises(ConfigError) as info:
            settings.resolved_api_key()
        message = str(info.value)
        assert "set SUMMARIZE" not in message and "point SUMMARIZE" not in message
        assert "SUMMARIZE_BASE_URL is set, but not read" in message
        assert "Settings.from_env(" in message and "api_key=" in message
    # Built from the environment, the variables are the way to fix it.
    monkeypatch.delenv("SUMMARIZE_BASE_URL")
    for settings in (Settings.from_env(model="gpt-4o-mini"), Settings.from_env().replace(model="gpt-4o-mini")):
        with pytest.raises(ConfigError, match="set SUMMARIZE_API_KEY"):
            settings.resolved_api_key()


def test_local_endpoints_get_a_placeholder_key_and_openai_needs_one():
    assert Settings(base_url="http://localhost:8080/v1").resolved_api_key() == PLACEHOLDER_API_KEY
    with pytest.raises(ConfigError, match="SUMMARIZE_API_KEY"):
        Settings().resolved_api_key()


# -- base URLs: malformed ones, userinfo, local addresses ---------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "http://[::1]:notaport/v1", "http://host:99999/v1", "http:///v1", "https://", "http://exa mple.com/v1"],
)
def test_a_malformed_base_url_is_a_config_error(url):
    with pytest.raises(ConfigError, match="SUMMARIZE_BASE_URL must be an http:// or https:// URL"):
        Settings.from_env({"SUMMARIZE_BASE_URL": url})
    with pytest.raises(ConfigError, match="base_url must be"):
        Settings(base_url=url)


@pytest.mark.parametrize("url", ["http://192.168.1.300:8080/v1", "http://256.0.0.1/v1", "http://ab\u0301c..example/v1"])
def test_a_host_the_http_client_cannot_encode_is_a_config_error(url):
    # Accepted here, they failed at the first request with httpx's InvalidURL, which is no
    # SummarizeError: the command line called it an internal error.
    with pytest.raises(ConfigError, match="^SUMMARIZE_BASE_URL names the host .*, which is no"):
        Settings.from_env({"SUMMARIZE_BASE_URL": url})
    with pytest.raises(ConfigError, match="^base_url names the host"):
        Settings(base_url=url)


@pytest.mark.parametrize("char", ["\u200b", "\u00ad", "\ufeff", "\u2060"])
def test_an_invisible_character_in_the_host_is_refused_by_its_code_point(char):
    # A zero-width space pasted with the URL looks like nothing in the message that shows it.
    url = f"http://gpu{char}-box:8000/v1"
    with pytest.raises(ConfigError, match=f"^SUMMARIZE_BASE_URL holds an invisible character \\(U\\+{ord(char):04X}\\)"):
        Settings.from_env({"SUMMARIZE_BASE_URL": url})


@pytest.mark.parametrize("tail", ["/chat/completions", "/chat/completions/", "/Chat/Completions"])
def test_a_base_url_pasted_with_the_request_path_says_what_to_set(tail):
    # http://localhost:8080/v1/chat/completions, copied from a curl example, went to
    # .../v1/chat/completions/chat/completions; the 404 said "servers usually serve under /v1".
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"SUMMARIZE_BASE_URL": f"http://localhost:8080/v1{tail}"})
    assert str(info.value) == (
        "SUMMARIZE_BASE_URL ends in /chat/completions, which is added to it for every request: "
        "set it to http://localhost:8080/v1"
    )


def test_a_glossary_path_starting_with_a_tilde_is_the_home_folders_as_the_cache_folders_is(tmp_path, monkeypatch):
    # SUMMARIZE_CACHE_DIR=~/cache was expanded, SUMMARIZE_GLOSSARY=~/names.tsv (quoted in a .env
    # file or a systemd unit, where no shell expands it) failed every run: no such file '~/names.tsv'.
    from summarize.glossary import resolve_glossary

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "names.tsv").write_text("黃偉哲\tHuang Wei-che\n", encoding="utf-8")
    settings = Settings.from_env({"SUMMARIZE_GLOSSARY": "~/names.tsv", "SUMMARIZE_CACHE_DIR": "~/cache"})
    assert settings.glossary == str(tmp_path / "names.tsv") and settings.cache_dir == str(tmp_path / "cache")
    assert resolve_glossary(None, settings) == {"黃偉哲": "Huang Wei-che"}


def test_a_host_in_another_script_is_still_taken():
    assert Settings(base_url="http://例子.測試:8000/v1").base_url == "http://例子.測試:8000/v1"
    assert Settings(base_url="http://10.0.0.300.example/v1").base_url == "http://10.0.0.300.example/v1"


@pytest.mark.parametrize(
    "url", ["http://alice:secret@gpu-box:8000/v1", "https://alice@api.example.com/v1", "http://:secret@[::1]:8000/v1"]
)
@pytest.mark.parametrize("variable", ["SUMMARIZE_BASE_URL", "OPENAI_BASE_URL"])
def test_a_base_url_holding_a_user_or_password_is_refused_without_showing_it(url, variable):
    with pytest.raises(ConfigError) as info:
        Settings.from_env({variable: url})
    message = str(info.value)
    assert message.startswith(f"{variable} must not hold a user name or password")
    assert "secret" not in message and "alice" not in message
    assert "SUMMARIZE_API_KEY" in message  # where the credential belongs instead
    with pytest.raises(ConfigError, match="^base_url must not hold a user name or password") as info:
        Settings(base_url=url)
    assert "secret" not in str(info.value) and "alice" not in str(info.value)


def test_an_at_sign_after_the_host_is_not_userinfo():
    assert Settings(base_url="http://gpu-box:8000/v1/@models").base_url == "http://gpu-box:8000/v1/@models"


@pytest.mark.parametrize(
    "key, what",
    [
        ("sk-abc\ndef", "newline"),
        ("sk-abc\rdef", "carriage return"),
        ("sk-abc\x00def", "NUL"),
        ("sk-abc\tdef", "tab"),
        ("sk-abc def", "space"),
        ("sk-abcé", "non-ASCII"),
        ("sk-abc\u200bdef", "zero-width space"),
    ],
)
@pytest.mark.parametrize("variable", ["SUMMARIZE_API_KEY", "OPENAI_API_KEY"])
def test_a_key_holding_a_control_space_or_non_ascii_character_is_refused(key, what, variable):
    with pytest.raises(ConfigError) as info:
        Settings.from_env({variable: key})
    message = str(info.value)
    assert message.startswith(f"{variable} holds a"), (what, message)
    assert "abc" not in message and "def" not in message  # never the key itself
    with pytest.raises(ConfigError, match="^api_key holds a") as info:
        Settings(base_url="http://localhost:8000/v1", api_key=key)
    assert "abc" not in str(info.value)


def test_a_malformed_openai_key_that_would_not_be_sent_stops_nothing():
    # OPENAI_API_KEY, set for other tools and malformed, stopped runs against a local server,
    # which it is never sent to; where it would be sent it is still refused.
    local = Settings.from_env({"OPENAI_API_KEY": "sk-abc\ndef", "SUMMARIZE_BASE_URL": "http://127.0.0.1:8080/v1"})
    assert local.api_key is None and local.withheld_key() == "OPENAI_API_KEY"
    for env in ({}, {"OPENAI_BASE_URL": "https://gateway.example.com/v1"}):
        with pytest.raises(ConfigError, match="^OPENAI_API_KEY holds a"):
            Settings.from_env({"OPENAI_API_KEY": "sk-abc\ndef", **env})
    with pytest.raises(ConfigError, match="^SUMMARIZE_API_KEY holds a"):  # given for this tool: always checked
        Settings.from_env({"SUMMARIZE_API_KEY": "sk-abc\ndef", "SUMMARIZE_BASE_URL": "http://127.0.0.1:8080/v1"})


def test_a_tokenizer_name_is_read_in_lower_case_as_it_is_used():
    # SUMMARIZE_TOKENIZER=AUTO counted as auto, and a dry run reported a tokenizer named "AUTO".
    assert Settings.from_env({"SUMMARIZE_TOKENIZER": "AUTO"}).tokenizer == "auto"
    assert Settings(tokenizer="Qwen").tokenizer == "qwen"


def test_a_key_with_a_trailing_newline_is_trimmed():
    # What `export KEY=$(cat key.txt)` or a pasted line gives: the edges are not part of a key.
    assert Settings.from_env({"SUMMARIZE_API_KEY": "  sk-abc123\n"}).api_key == "sk-abc123"


@pytest.mark.parametrize(
    "url, local",
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://127.5.6.7/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://LocalHost:11434/v1", True),
        ("http://10.1.2.3:8000/v1", True),
        ("http://172.16.0.9:8000/v1", True),
        ("http://172.31.255.1:8000/v1", True),
        ("http://192.168.1.20:1234/v1", True),
        ("http://[fd12:3456::1]:8000/v1", True),
        ("http://gpu-box.local:8000/v1", True),
        ("http://0.0.0.0:8000/v1", True),
        ("http://[::ffff:192.168.1.2]:8000/v1", True),
        ("http://[::]:8000/v1", True),  # where a server says it listens, as 0.0.0.0
        ("http://100.101.102.103:11434/v1", True),  # a Tailscale machine of one's own
        ("http://169.254.1.2/v1", True),
        ("http://[fe80::1%25eth0]:8080/v1", True),
        ("http://100.128.0.1/v1", False),
        ("http://172.32.0.1:8000/v1", False),
        ("http://11.0.0.1/v1", False),
        ("https://api.openai.com/v1", False),
        ("https://localhost.example.com/v1", False),
        ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", False),
    ],
)
def test_a_loopback_or_private_base_url_gets_the_local_timeout_without_a_preset(url, local):
    settings = Settings(base_url=url)
    assert settings.is_local is local
    assert settings.timeout == (600 if local else 120)
    assert Settings.from_env({"SUMMARIZE_BASE_URL": url}).timeout == (600 if local else 120)


def test_explicit_settings_beat_the_local_default():
    assert Settings(base_url="http://127.0.0.1:8080/v1", timeout=30).timeout == 30
    env = {"SUMMARIZE_BASE_URL": "http://127.0.0.1:8080/v1", "SUMMARIZE_TIMEOUT": "45"}
    assert Settings.from_env(env).timeout == 45
    # A preset named is a choice too: its timeout stands, local address or not.
    assert Settings(base_url="http://127.0.0.1:8080/v1", preset="openai").timeout == 120
    # Re-pointing a copy re-derives what nobody set, and keeps what somebody did.
    remote = Settings(base_url="http://127.0.0.1:8080/v1").replace(base_url="https://api.example.com/v1")
    assert remote.timeout == 120
    assert Settings(base_url="http://127.0.0.1:8080/v1", timeout=30).replace(base_url="https://a.example/v1").timeout == 30


@pytest.mark.parametrize(
    "url", ["http://gpu-box:8000/v1?api-key=SECRETQ", "https://api.example.com/v1#xyzzy", "http://127.0.0.1:8000/v1?"]
)
def test_a_base_url_with_a_query_string_or_fragment_is_refused_without_showing_it(url):
    # openai appends request paths to the base URL, so the server saw GET /v1/?api-key=SECRETQmodels.
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"SUMMARIZE_BASE_URL": url})
    assert str(info.value).startswith("SUMMARIZE_BASE_URL must not hold a query string or fragment")
    assert "SECRETQ" not in str(info.value) and "xyzzy" not in str(info.value)
    with pytest.raises(ConfigError, match="query string"):
        Settings(base_url=url)


def test_no_key_for_openai_is_said_as_such_when_the_model_is_to_be_asked_for(monkeypatch, capsys):
    # Without a model the run asks GET /models first; the missing key was reported as a
    # malformed reply from the server, exit 1, though nothing was sent.
    from summarize import cli

    for name in ("SUMMARIZE_BASE_URL", "OPENAI_BASE_URL", "SUMMARIZE_API_KEY", "OPENAI_API_KEY", "SUMMARIZE_MODEL", "OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("臺南今天天氣晴朗。"))
    assert cli.main(["--no-cache", "-"]) == 2
    err = capsys.readouterr().err
    assert "No API key for OpenAI" in err and "malformed" not in err


@pytest.mark.parametrize("how", ["env", "flag"])
@pytest.mark.parametrize("command", [["--dry-run", "-"], ["doctor"]])
def test_the_cli_refuses_a_password_in_the_base_url_in_one_line(monkeypatch, capsys, how, command):
    from summarize import cli

    url = "http://alice:secret@127.0.0.1:9/v1"
    argv = list(command)
    if how == "env":
        monkeypatch.setenv("SUMMARIZE_BASE_URL", url)
    else:
        argv += ["--base-url", url]
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("臺南今天天氣晴朗。"))
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert "secret" not in out + err and "alice" not in out + err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and "must not hold a user name or password" in lines[0], err
    # Named as the user gave it: "base_url (SUMMARIZE_BASE_URL)" for --base-url named a variable never set.
    assert f"error: {'SUMMARIZE_BASE_URL' if how == 'env' else '--base-url'} must not hold" in lines[0]


def test_the_cli_names_a_bad_option_as_the_option(monkeypatch, capsys, tmp_path):
    from summarize import cli

    article = tmp_path / "a.txt"
    article.write_text("臺南今天天氣晴朗。", encoding="utf-8")
    monkeypatch.setenv("SUMMARIZE_MODEL", "set-but-overridden")
    assert cli.main(["--dry-run", "--model", "a\nb", str(article)]) == 2
    err = capsys.readouterr().err
    assert err == "summarize: error: --model holds a line break (U+000A); set it to the model's name alone, as the endpoint lists it\n"


# -- how the public functions turn settings= and keywords into settings ---------------------


def test_resolve_settings_reads_the_environment_under_the_keywords(monkeypatch):
    from summarize.config import resolve_settings

    monkeypatch.setenv("SUMMARIZE_TIMEOUT", "30s")
    monkeypatch.setenv("SUMMARIZE_CONCURRENCY", "8")
    settings = resolve_settings(None, {"timeout": 30.0})
    assert (settings.timeout, settings.concurrency) == (30.0, 8)
    given = Settings(base_url="http://127.0.0.1:8000/v1", concurrency=2)
    assert resolve_settings(given, {}) is given
    assert resolve_settings(given, {"timeout": 5}).timeout == 5.0


@pytest.mark.parametrize(
    "settings, says",
    [
        ({"model": "x"}, "pass the values as keywords instead"),
        ("model=x", "build one with Settings.from_env"),
        (0, "build one with Settings.from_env"),
    ],
)
def test_settings_that_are_not_a_settings_object_are_refused_saying_what_to_pass(settings, says):
    from summarize.config import resolve_settings

    with pytest.raises(ConfigError, match="settings must be a summarize.Settings") as info:
        resolve_settings(settings, {})
    assert says in str(info.value)


@pytest.mark.parametrize("env, keywords", [
    ({"SUMMARIZE_TIMEOUT": "30s"}, {"timeout": 30.0}),
    ({"SUMMARIZE_CONTEXT_TOKENS": "4096", "SUMMARIZE_OUTPUT_TOKENS": "5000"}, {"output_tokens": 1000}),
])
def test_a_keyword_beats_a_bad_variable_in_summarize_article(monkeypatch, scripted, env, keywords):
    from summarize import summarize_article

    monkeypatch.setenv("SUMMARIZE_BASE_URL", scripted.base_url)
    monkeypatch.setenv("SUMMARIZE_MODEL", "scripted")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    summarize_article("臺南市今天天氣晴朗，市民到公園散步。", verify=False, **keywords)
    assert scripted.chat_requests


@pytest.mark.parametrize("function", ["summarize_article", "translate_article"])
def test_a_dict_for_settings_is_a_config_error_saying_what_to_pass(function):
    import summarize

    with pytest.raises(ConfigError, match="pass the values as keywords"):
        getattr(summarize, function)("臺南市今天天氣晴朗。", settings={"model": "x"})


def test_every_argument_of_the_other_public_function_has_its_advice():
    for function, own in config.FUNCTION_ARGUMENTS.items():
        for name in set(config.ARGUMENTS) - set(own):
            assert (function, name) in config._INSTEAD, (function, name)
