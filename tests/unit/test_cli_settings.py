"""The command line's settings (flags > environment > config file) and secrets resolution.

Every test passes its own environment and keeps config files under ``tmp_path``; the keyring
is an in-memory one, so neither the real ``~/.config`` nor the real keyring is touched.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs
import keyring
import keyring.backend
import pytest
from keyring.errors import KeyringError, NoKeyringError

from jcds2 import ApiClientCredentialsProvider, BasicAuthProvider, CredentialsProvider
from jcds2.cli.errors import UsageError
from jcds2.cli.secrets import (
    KEYRING_SERVICE,
    KeyringLike,
    delete_secret,
    keyring_account,
    resolve_credentials,
    store_secret,
)
from jcds2.cli.settings import Settings, default_config_path, load_settings
from tests.keyring_backend import InMemoryKeyring

SERVER = "https://example.jamfcloud.com"
SECRET = "s3cr3t-Value-that-must-never-show"
SECRET_ENV_CLIENT = "JAMF_CLIENT_SECRET"
SECRET_ENV_USER = "JAMF_PASSWORD"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def environ(home: Path) -> dict[str, str]:
    """An environment whose default config file is under ``home`` (and does not exist)."""
    return {"HOME": str(home)}


def write_config(home: Path, text: str) -> Path:
    """Write the default config file of the ``environ`` fixture."""
    path = home / ".config" / "jcds2" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def usage_error(flags: Mapping[str, object], environ: Mapping[str, str]) -> str:
    with pytest.raises(UsageError) as caught:
        load_settings(flags, environ)
    message = str(caught.value)
    assert "\n" not in message
    return message


class Prompt:
    """A prompt that records its questions and gives one answer."""

    def __init__(self, answer: str = "", error: BaseException | None = None) -> None:
        self.answer = answer
        self.error = error
        self.questions: list[str] = []

    def __call__(self, question: str) -> str:
        self.questions.append(question)
        if self.error is not None:
            raise self.error
        return self.answer


class BrokenKeyring:
    """A keyring whose every call raises ``error``; counts the calls."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        raise self.error


class ForgetfulKeyring:
    """Accepts every password and keeps none, like keyring's "null" backend."""

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        return None

    def delete_password(self, service: str, username: str) -> None:
        return None


def keyring_with(account: str, secret: str = SECRET) -> InMemoryKeyring:
    backend = InMemoryKeyring()
    backend.set_password(KEYRING_SERVICE, account, secret)
    return backend


def resolve(
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    stdin: str | None = None,
    interactive: bool = False,
    prompt: Prompt | None = None,
    backend: KeyringLike | None = None,
) -> CredentialsProvider:
    return resolve_credentials(
        settings,
        environ=environ or {},
        password_stdin=stdin is not None,
        stdin=io.StringIO(stdin or ""),
        interactive=interactive,
        prompt=prompt or Prompt(error=AssertionError("the prompt must not be used")),
        keyring_backend=backend or InMemoryKeyring(),
    )


def secret_of(provider: CredentialsProvider) -> str:
    if isinstance(provider, ApiClientCredentialsProvider):
        return provider.client_secret
    assert isinstance(provider, BasicAuthProvider)
    return provider.password


CLIENT = Settings(server=SERVER, client_id="abc123")
USER = Settings(server=SERVER, username="bob")
CLIENT_ACCOUNT = f"abc123@{SERVER}"


# --- where the config file is ---------------------------------------------------------------


def test_default_config_path_is_under_home(home: Path) -> None:
    assert default_config_path({"HOME": str(home)}) == home / ".config/jcds2/config.toml"


def test_default_config_path_follows_xdg_config_home(home: Path, tmp_path: Path) -> None:
    environ = {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}

    assert default_config_path(environ) == tmp_path / "xdg/jcds2/config.toml"


def test_relative_or_empty_xdg_config_home_is_ignored(home: Path) -> None:
    for xdg in ("relative/dir", ""):
        environ = {"HOME": str(home), "XDG_CONFIG_HOME": xdg}
        assert default_config_path(environ) == home / ".config/jcds2/config.toml"


def test_jcds2_config_beats_xdg_and_expands_tilde(home: Path, tmp_path: Path) -> None:
    environ = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "JCDS2_CONFIG": "~/my.toml",
    }

    assert default_config_path(environ) == home / "my.toml"


def test_config_flag_beats_jcds2_config(tmp_path: Path, environ: dict[str, str]) -> None:
    by_flag, by_env = tmp_path / "flag.toml", tmp_path / "env.toml"
    by_flag.write_text('server = "flag.example.com"\n')
    by_env.write_text('server = "env.example.com"\n')

    settings = load_settings({"config": by_flag}, {**environ, "JCDS2_CONFIG": str(by_env)})

    assert settings.server == "flag.example.com"
    assert settings.config_file == by_flag
    assert settings.sources["config"] == "flag --config"


def test_jcds2_config_names_the_file(tmp_path: Path, environ: dict[str, str]) -> None:
    named = tmp_path / "named.toml"
    named.write_text('server = "env.example.com"\n')

    settings = load_settings({}, {**environ, "JCDS2_CONFIG": str(named)})

    assert (settings.server, settings.config_file) == ("env.example.com", named)
    assert settings.sources["config"] == "env JCDS2_CONFIG"


def test_missing_default_config_file_is_fine(home: Path, environ: dict[str, str]) -> None:
    settings = load_settings({}, environ)

    assert settings.config_file is None
    assert settings.config_path == home / ".config/jcds2/config.toml"
    assert settings.server is None
    assert (settings.route, settings.keyring) == ("auto", True)
    assert settings.sources == {"config": "default", "route": "default", "keyring": "default"}


@pytest.mark.parametrize("named_by", ["--config", "JCDS2_CONFIG"])
def test_missing_named_config_file_is_a_usage_error(
    named_by: str, tmp_path: Path, environ: dict[str, str]
) -> None:
    missing = tmp_path / "nope.toml"
    flags: dict[str, object] = {"config": str(missing)} if named_by == "--config" else {}
    env = {**environ, "JCDS2_CONFIG": str(missing)} if named_by == "JCDS2_CONFIG" else environ

    message = usage_error(flags, env)

    assert str(missing) in message
    assert named_by in message
    assert "does not exist" in message


def test_unreadable_config_file_is_a_usage_error(tmp_path: Path, environ: dict[str, str]) -> None:
    message = usage_error({"config": str(tmp_path)}, environ)  # a folder, not a file

    assert message.startswith(f"cannot read config file {tmp_path}")


# --- precedence -----------------------------------------------------------------------------

STRING_KEYS = [
    # key, flag, env var, three values (flag, env, file)
    ("server", "--server", "JAMF_URL", ("f.example.com", "e.example.com", "c.example.com")),
    ("ca_bundle", "--ca-bundle", "JCDS2_CA_BUNDLE", ("/f/ca.pem", "/e/ca.pem", "/c/ca.pem")),
    ("file_share", "--file-share", "JCDS2_FILE_SHARE", ("/f/share", "/e/share", "/c/share")),
    ("route", "--route", "JCDS2_ROUTE", ("packages", "jcds", "auto")),
]


@pytest.mark.parametrize(("key", "flag", "variable", "values"), STRING_KEYS)
@pytest.mark.parametrize("given", ["flag+env+file", "env+file", "file", "flag+file"])
def test_flag_beats_environment_beats_config_file(
    key: str,
    flag: str,
    variable: str,
    values: tuple[str, str, str],
    given: str,
    home: Path,
    environ: dict[str, str],
) -> None:
    by_flag, by_env, by_file = values
    path = write_config(home, f'{key} = "{by_file}"\n')
    flags: dict[str, object] = {key: by_flag} if "flag" in given else {}
    env = {**environ, variable: by_env} if "env" in given else environ

    settings = load_settings(flags, env)

    expected, source = {
        "flag": (by_flag, f"flag {flag}"),
        "env": (by_env, f"env {variable}"),
        "file": (by_file, str(path)),
    }[given.split("+", maxsplit=1)[0]]
    assert getattr(settings, key) == expected
    assert settings.sources[key] == source


def test_empty_environment_values_count_as_unset(home: Path, environ: dict[str, str]) -> None:
    write_config(home, 'server = "file.example.com"\nusername = "filer"\n')
    empty = {"JAMF_URL": "", "JAMF_CLIENT_ID": "", "JCDS2_ROUTE": "", "JCDS2_KEYRING": ""}

    settings = load_settings({}, {**environ, **empty})

    assert (settings.server, settings.username, settings.client_id) == (
        "file.example.com",
        "filer",
        None,
    )
    assert (settings.route, settings.keyring) == ("auto", True)


def test_an_empty_flag_is_a_usage_error(environ: dict[str, str]) -> None:
    message = usage_error({"server": ""}, {**environ, "JAMF_URL": "e.example.com"})

    assert message == "--server is empty: give it a value or leave it out"


def test_flags_not_about_settings_are_ignored(environ: dict[str, str]) -> None:
    flags: dict[str, object] = {"server": "f.example.com", "json": True, "workers": 4}

    assert load_settings(flags, environ).server == "f.example.com"


# --- identity -------------------------------------------------------------------------------


def test_flag_user_name_beats_environment_client_id(environ: dict[str, str]) -> None:
    settings = load_settings({"username": "bob"}, {**environ, "JAMF_CLIENT_ID": "abc123"})

    assert (settings.username, settings.client_id) == ("bob", None)
    assert settings.sources["username"] == "flag --username"
    assert "client_id" not in settings.sources


def test_environment_user_name_beats_config_client_id(home: Path, environ: dict[str, str]) -> None:
    write_config(home, 'client_id = "abc123"\n')

    settings = load_settings({}, {**environ, "JAMF_USERNAME": "bob"})

    assert (settings.username, settings.client_id) == ("bob", None)


@pytest.mark.parametrize("source", ["flag", "env", "file"])
def test_within_one_source_the_client_id_wins(
    source: str, home: Path, environ: dict[str, str]
) -> None:
    flags: dict[str, object] = {}
    env = dict(environ)
    if source == "flag":
        flags = {"client_id": "abc123", "username": "bob"}
    elif source == "env":
        env |= {"JAMF_CLIENT_ID": "abc123", "JAMF_USERNAME": "bob"}
    else:
        write_config(home, 'client_id = "abc123"\nusername = "bob"\n')

    settings = load_settings(flags, env)

    assert (settings.client_id, settings.username) == ("abc123", None)


def test_config_user_name_is_used_when_nothing_else_gives_an_identity(
    home: Path, environ: dict[str, str]
) -> None:
    path = write_config(home, 'username = "bob"\n')

    settings = load_settings({}, environ)

    assert (settings.username, settings.sources["username"]) == ("bob", str(path))


def test_settings_refuse_both_identities() -> None:
    with pytest.raises(ValueError, match="not both"):
        Settings(client_id="abc123", username="bob")


# --- profiles -------------------------------------------------------------------------------

PROFILES = """\
server = "top.example.com"
client_id = "top-client"
ca_bundle = "/top/ca.pem"

[profiles.test]
server = "test.example.com"
username = "tester"
route = "jcds"

[profiles.prod]
server = "prod.example.com"
"""


def test_a_profile_overrides_the_top_level(home: Path, environ: dict[str, str]) -> None:
    path = write_config(home, PROFILES)

    settings = load_settings({"profile": "test"}, environ)

    assert settings.profile == "test"
    assert settings.server == "test.example.com"
    assert settings.route == "jcds"
    assert settings.ca_bundle == "/top/ca.pem"  # not in the profile: the top level's
    # The profile's user name beats the top level's client id: the profile is its own source.
    assert (settings.username, settings.client_id) == ("tester", None)
    assert settings.sources["server"] == f"{path} [profiles.test]"
    assert settings.sources["ca_bundle"] == str(path)
    assert settings.sources["profile"] == "flag --profile"


def test_without_a_profile_the_top_level_applies(home: Path, environ: dict[str, str]) -> None:
    write_config(home, PROFILES)

    settings = load_settings({}, environ)

    assert (settings.profile, settings.server, settings.client_id) == (
        None,
        "top.example.com",
        "top-client",
    )


def test_flags_and_environment_beat_the_profile(home: Path, environ: dict[str, str]) -> None:
    write_config(home, PROFILES)

    settings = load_settings(
        {"profile": "test", "route": "packages"}, {**environ, "JAMF_URL": "env.example.com"}
    )

    assert (settings.server, settings.route) == ("env.example.com", "packages")


def test_profile_chosen_by_the_environment(home: Path, environ: dict[str, str]) -> None:
    write_config(home, PROFILES)

    settings = load_settings({}, {**environ, "JCDS2_PROFILE": "prod"})

    assert (settings.profile, settings.server) == ("prod", "prod.example.com")
    assert settings.sources["profile"] == "env JCDS2_PROFILE"


def test_profile_flag_beats_profile_environment(home: Path, environ: dict[str, str]) -> None:
    write_config(home, PROFILES)

    settings = load_settings({"profile": "test"}, {**environ, "JCDS2_PROFILE": "prod"})

    assert settings.profile == "test"


def test_profile_chosen_by_the_top_level_key(home: Path, environ: dict[str, str]) -> None:
    path = write_config(home, 'profile = "prod"\n' + PROFILES)

    settings = load_settings({}, environ)

    assert (settings.profile, settings.server) == ("prod", "prod.example.com")
    assert settings.sources["profile"] == str(path)


def test_an_unknown_profile_lists_the_known_ones(home: Path, environ: dict[str, str]) -> None:
    path = write_config(home, PROFILES)

    message = usage_error({"profile": "staging"}, environ)

    assert "unknown profile 'staging' (from --profile)" in message
    assert f"the profiles in {path} are prod, test" in message


def test_an_unknown_profile_named_in_the_file_is_reported_there(
    home: Path, environ: dict[str, str]
) -> None:
    path = write_config(home, 'profile = "staging"\n' + PROFILES)

    message = usage_error({}, environ)

    assert f"(from `profile` in {path})" in message


def test_a_profile_without_a_config_file_is_a_usage_error(
    home: Path, environ: dict[str, str]
) -> None:
    message = usage_error({}, {**environ, "JCDS2_PROFILE": "test"})

    assert "(from JCDS2_PROFILE)" in message
    assert str(home / ".config/jcds2/config.toml") in message


def test_profile_tables_take_only_profile_keys(home: Path, environ: dict[str, str]) -> None:
    path = write_config(home, '[profiles.test]\nprofile = "other"\n')

    message = usage_error({}, environ)

    assert f"unknown key `profile` in {path} [profiles.test]" in message


# --- a bad config file ----------------------------------------------------------------------


def test_invalid_toml_names_the_file_and_the_place(home: Path, environ: dict[str, str]) -> None:
    path = write_config(home, 'server = "a.example.com"\nroute auto\n')

    message = usage_error({}, environ)

    assert message.startswith(f"config file {path} is not valid TOML:")
    assert "line 2" in message


def test_a_config_file_that_is_not_utf8_is_a_usage_error(
    home: Path, environ: dict[str, str]
) -> None:
    path = write_config(home, "")
    path.write_bytes(b'server = "caf\xe9"\n')

    assert "not UTF-8" in usage_error({}, environ)


def test_an_unknown_key_is_named_with_the_file(home: Path, environ: dict[str, str]) -> None:
    path = write_config(home, 'sever = "a.example.com"\n')

    message = usage_error({}, environ)

    assert message.startswith(f"unknown key `sever` in {path} (did you mean `server`?)")
    assert "server, client_id, username, ca_bundle, file_share, route, keyring" in message


@pytest.mark.parametrize(
    "key", ["client_secret", "password", "token", "api_key", "Secret", "jamf_password"]
)
@pytest.mark.parametrize("table", ["", "[profiles.test]\n"])
def test_secrets_in_the_config_file_are_refused(
    key: str, table: str, home: Path, environ: dict[str, str]
) -> None:
    path = write_config(home, f'{table}server = "a.example.com"\n{key} = "{SECRET}"\n')

    message = usage_error({}, environ)

    where = f"{path} [profiles.test]" if table else str(path)
    assert message.startswith(f"config files must not hold secrets: remove `{key}` from {where};")
    assert "jcds2 login" in message
    assert "JAMF_CLIENT_SECRET" in message
    assert SECRET not in message


def test_a_secret_as_a_profile_value_is_refused(home: Path, environ: dict[str, str]) -> None:
    write_config(home, f'[profiles]\ntoken = "{SECRET}"\n')

    message = usage_error({}, environ)

    assert "must not hold secrets: remove `profiles.token`" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server = 1", "`server` in {path} must be a non-empty string"),
        ('server = ""', '`server` in {path} must be a non-empty string (key = "value"), not an'),
        ("username = ['a']", "`username` in {path} must be a non-empty string"),
        ('keyring = "false"', "`keyring` in {path} must be true or false"),
        ('profiles = "x"', "`profiles` in {path} must be a table"),
        ('[profiles]\ntest = "x"', "`profiles.test` in {path} must be a table"),
        ("[profiles.test]\nroute = 3", "`route` in {path} [profiles.test] must be a non-empty"),
    ],
)
def test_wrongly_typed_values_are_usage_errors(
    text: str, expected: str, home: Path, environ: dict[str, str]
) -> None:
    path = write_config(home, text + "\n")

    assert expected.format(path=path) in usage_error({}, environ)


@pytest.mark.parametrize(
    ("flags", "env", "text", "naming"),
    [
        ({"route": "fast"}, {}, "", "--route"),
        ({}, {"JCDS2_ROUTE": "fast"}, "", "JCDS2_ROUTE"),
        ({}, {}, 'route = "fast"', "`route` in {path}"),
        ({"profile": "p"}, {}, '[profiles.p]\nroute = "fast"', "`route` in {path} [profiles.p]"),
    ],
)
def test_a_bad_route_names_where_it_came_from(
    flags: dict[str, object],
    env: dict[str, str],
    text: str,
    naming: str,
    home: Path,
    environ: dict[str, str],
) -> None:
    path = write_config(home, text + "\n")

    message = usage_error(flags, {**environ, **env})

    assert message == f"{naming.format(path=path)} must be one of auto, packages, jcds, not 'fast'"


# --- paths in the config file ---------------------------------------------------------------


def test_config_file_paths_expand_tilde_and_start_at_the_file(
    home: Path, environ: dict[str, str]
) -> None:
    path = write_config(home, 'ca_bundle = "~/certs/ca.pem"\nfile_share = "share"\n')

    settings = load_settings({}, environ)

    assert settings.ca_bundle == str(home / "certs/ca.pem")
    assert settings.file_share == str(path.parent / "share")


def test_environment_paths_expand_tilde_and_flags_are_left_alone(
    home: Path, environ: dict[str, str]
) -> None:
    settings = load_settings(
        {"file_share": "~/literal"}, {**environ, "JCDS2_CA_BUNDLE": "~/certs/ca.pem"}
    )

    assert settings.ca_bundle == str(home / "certs/ca.pem")
    assert settings.file_share == "~/literal"


# --- the keyring switch ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "false", "no", "off", "FALSE"])
def test_jcds2_keyring_turns_lookups_off(value: str, environ: dict[str, str]) -> None:
    settings = load_settings({}, {**environ, "JCDS2_KEYRING": value})

    assert settings.keyring is False
    assert settings.sources["keyring"] == "env JCDS2_KEYRING"


def test_config_keyring_false_turns_lookups_off(home: Path, environ: dict[str, str]) -> None:
    path = write_config(home, "keyring = false\n")

    settings = load_settings({}, environ)

    assert (settings.keyring, settings.sources["keyring"]) == (False, str(path))


def test_a_profile_can_turn_the_keyring_off(home: Path, environ: dict[str, str]) -> None:
    write_config(home, "keyring = true\n[profiles.ci]\nkeyring = false\n")

    assert load_settings({"profile": "ci"}, environ).keyring is False
    assert load_settings({}, environ).keyring is True


def test_jcds2_keyring_beats_the_config_file(home: Path, environ: dict[str, str]) -> None:
    write_config(home, "keyring = false\n")

    assert load_settings({}, {**environ, "JCDS2_KEYRING": "1"}).keyring is True


def test_a_bad_jcds2_keyring_is_a_usage_error(environ: dict[str, str]) -> None:
    message = usage_error({}, {**environ, "JCDS2_KEYRING": "maybe"})

    assert message == "JCDS2_KEYRING must be 1/true/yes/on or 0/false/no/off, not 'maybe'"


# --- secrets --------------------------------------------------------------------------------


def test_keyring_account_uses_the_base_url() -> None:
    assert keyring_account("example.jamfcloud.com", "abc123") == CLIENT_ACCOUNT
    assert keyring_account("HTTPS://Example.jamfcloud.com/", "abc123") == CLIENT_ACCOUNT
    assert keyring_account("jamf.example.com:8443", "bob") == "bob@https://jamf.example.com:8443"


def test_keyring_account_refuses_a_bad_server() -> None:
    with pytest.raises(UsageError, match="refusing plain http"):
        keyring_account("http://jamf.example.com", "bob")


def test_password_stdin_comes_first() -> None:
    provider = resolve(
        CLIENT,
        stdin=f"{SECRET}\r\nsecond line\n",
        environ={SECRET_ENV_CLIENT: "from-env"},
        backend=keyring_with(CLIENT_ACCOUNT, "from-keyring"),
        interactive=True,
    )

    assert provider == ApiClientCredentialsProvider("abc123", SECRET)


def test_password_stdin_keeps_spaces_inside_the_line() -> None:
    provider = resolve(USER, stdin="  spaced secret \n")

    assert secret_of(provider) == "  spaced secret "


@pytest.mark.parametrize("text", ["", "\n", "\r\n"])
def test_an_empty_stdin_line_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--password-stdin read an empty line"):
        resolve(CLIENT, stdin=text, environ={SECRET_ENV_CLIENT: "from-env"})


@pytest.mark.parametrize(
    ("settings", "variable"), [(CLIENT, SECRET_ENV_CLIENT), (USER, SECRET_ENV_USER)]
)
def test_the_environment_comes_before_the_keyring(settings: Settings, variable: str) -> None:
    account = keyring_account(SERVER, settings.require_identity())
    provider = resolve(
        settings,
        environ={variable: SECRET},
        backend=keyring_with(account, "from-keyring"),
        interactive=True,
    )

    assert secret_of(provider) == SECRET


def test_the_other_identitys_variable_is_not_used() -> None:
    provider = resolve(
        CLIENT,
        environ={SECRET_ENV_USER: "a-password"},
        backend=keyring_with(CLIENT_ACCOUNT),
    )

    assert secret_of(provider) == SECRET


def test_the_keyring_comes_before_the_prompt() -> None:
    prompt = Prompt("typed")

    provider = resolve(
        CLIENT, backend=keyring_with(CLIENT_ACCOUNT), interactive=True, prompt=prompt
    )

    assert secret_of(provider) == SECRET
    assert prompt.questions == []


def test_the_prompt_comes_last_and_names_whose_secret() -> None:
    prompt = Prompt(SECRET)

    provider = resolve(USER, interactive=True, prompt=prompt)

    assert provider == BasicAuthProvider("bob", SECRET)
    assert prompt.questions == [f"Password for user 'bob' at {SERVER}: "]


@pytest.mark.parametrize("prompt", [Prompt(""), Prompt(error=EOFError())])
def test_an_empty_prompt_answer_is_a_usage_error(prompt: Prompt) -> None:
    with pytest.raises(UsageError, match="no client secret given at the prompt"):
        resolve(CLIENT, interactive=True, prompt=prompt)


def test_keyring_lookups_can_be_turned_off() -> None:
    backend = BrokenKeyring(AssertionError("the keyring must not be asked"))
    settings = attrs.evolve(CLIENT, keyring=False, sources={"keyring": "env JCDS2_KEYRING"})

    provider = resolve(settings, backend=backend, interactive=True, prompt=Prompt(SECRET))

    assert secret_of(provider) == SECRET
    assert backend.calls == 0


def test_a_keyring_entry_of_another_server_is_not_used() -> None:
    backend = keyring_with("abc123@https://other.example.com")

    with pytest.raises(UsageError):
        resolve(CLIENT, backend=backend)


@pytest.mark.parametrize(
    ("settings", "variable", "what"),
    [(CLIENT, SECRET_ENV_CLIENT, "client secret"), (USER, SECRET_ENV_USER, "password")],
)
def test_no_secret_anywhere_names_all_four_ways(
    settings: Settings, variable: str, what: str
) -> None:
    with pytest.raises(UsageError) as caught:
        resolve(settings)

    message = str(caught.value)
    assert message.startswith(f"no {what} for ")
    assert SERVER in message
    for way in ("--password-stdin", variable, "jcds2 login", "terminal"):
        assert way in message


def test_no_secret_says_when_the_keyring_is_turned_off() -> None:
    settings = attrs.evolve(CLIENT, keyring=False, sources={"keyring": "env JCDS2_KEYRING"})

    with pytest.raises(UsageError, match=r"keyring look-ups are off: env JCDS2_KEYRING"):
        resolve(settings)


@pytest.mark.parametrize(
    "error",
    [NoKeyringError("no backend"), KeyringError("locked"), RuntimeError("dbus went away")],
)
def test_a_failing_keyring_falls_through_to_the_prompt(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    backend = BrokenKeyring(error)
    caplog.set_level(logging.DEBUG, logger="jcds2.cli")

    provider = resolve(CLIENT, backend=backend, interactive=True, prompt=Prompt(SECRET))

    assert secret_of(provider) == SECRET
    assert backend.calls == 1
    assert any(
        "keyring look-up" in r.getMessage() and r.name == "jcds2.cli" for r in caplog.records
    )
    assert SECRET not in caplog.text


def test_a_failing_keyring_without_a_terminal_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="jcds2 login"):
        resolve(CLIENT, backend=BrokenKeyring(NoKeyringError("no backend")))


def test_no_server_is_a_usage_error(home: Path) -> None:
    settings = Settings(client_id="abc123", config_path=home / "config.toml")

    with pytest.raises(UsageError) as caught:
        resolve(settings, environ={SECRET_ENV_CLIENT: SECRET})

    assert str(caught.value) == (
        f"no server: pass --server, set JAMF_URL or add `server` to {home / 'config.toml'}"
    )


def test_no_identity_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        resolve(Settings(server=SERVER), environ={SECRET_ENV_CLIENT: SECRET})

    message = str(caught.value)
    for way in ("--client-id", "--username", "JAMF_CLIENT_ID", "JAMF_USERNAME", "`client_id`"):
        assert way in message


def test_a_bad_server_is_a_usage_error_naming_its_source() -> None:
    settings = Settings(server="ftp://x.example.com", username="bob", sources={"server": "f"})

    with pytest.raises(UsageError, match=r"server 'ftp://x.example.com' \(from f\)"):
        resolve(settings, environ={SECRET_ENV_USER: SECRET})


def test_secrets_never_show_in_reprs_or_logs(
    home: Path, environ: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    # Fresh secrets: jcds2 masks secrets it has seen in its log records, and this test is
    # about the settings module not writing them in the first place.
    secrets = [f"fresh-{uuid.uuid4().hex}" for _ in range(4)]
    caplog.set_level(logging.DEBUG, logger="jcds2")
    write_config(home, 'server = "example.jamfcloud.com"\nclient_id = "abc123"\n')
    env = {**environ, SECRET_ENV_CLIENT: secrets[0]}
    settings = load_settings({}, env)

    providers = [
        resolve(settings, environ=env),
        resolve(settings, stdin=secrets[1]),
        resolve(settings, backend=keyring_with(CLIENT_ACCOUNT, secrets[2])),
        resolve(settings, interactive=True, prompt=Prompt(secrets[3])),
    ]

    assert [secret_of(provider) for provider in providers] == secrets
    for secret, provider in zip(secrets, providers, strict=True):
        assert secret not in repr(provider)
        assert secret not in repr(settings)
        assert secret not in caplog.text
    assert "client secret from env JAMF_CLIENT_SECRET" in caplog.text


def test_an_empty_keyring_entry_counts_as_none() -> None:
    prompt = Prompt(SECRET)

    provider = resolve(
        CLIENT, backend=keyring_with(CLIENT_ACCOUNT, ""), interactive=True, prompt=prompt
    )

    assert secret_of(provider) == SECRET
    assert len(prompt.questions) == 1


# --- jcds2 login / logout -------------------------------------------------------------------


def test_store_and_delete_round_trip() -> None:
    backend = InMemoryKeyring()

    account = store_secret(CLIENT, SECRET, keyring_backend=backend)

    assert account == CLIENT_ACCOUNT
    assert backend.entries == {(KEYRING_SERVICE, CLIENT_ACCOUNT): SECRET}
    assert secret_of(resolve(CLIENT, backend=backend)) == SECRET
    assert delete_secret(CLIENT, keyring_backend=backend) is True
    assert backend.entries == {}
    assert delete_secret(CLIENT, keyring_backend=backend) is False


def test_storing_when_the_keyring_is_turned_off_is_refused() -> None:
    backend = InMemoryKeyring()
    settings = attrs.evolve(USER, keyring=False, sources={"keyring": "env JCDS2_KEYRING"})

    with pytest.raises(UsageError, match="turned off by env JCDS2_KEYRING") as caught:
        store_secret(settings, SECRET, keyring_backend=backend)

    assert backend.entries == {}
    assert SECRET not in str(caught.value)


def test_storing_an_empty_secret_is_refused() -> None:
    with pytest.raises(UsageError, match="is empty"):
        store_secret(CLIENT, "", keyring_backend=InMemoryKeyring())


def test_storing_without_a_keyring_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        store_secret(CLIENT, SECRET, keyring_backend=BrokenKeyring(NoKeyringError("none")))

    message = str(caught.value)
    assert message.startswith("no system keyring is available here")
    assert "JAMF_CLIENT_SECRET" in message
    assert SECRET not in message


def test_storing_in_a_failing_keyring_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"could not keep .* \(KeyringError\)"):
        store_secret(USER, SECRET, keyring_backend=BrokenKeyring(KeyringError(SECRET)))


def test_a_keyring_that_keeps_nothing_is_caught() -> None:
    with pytest.raises(UsageError, match="did not keep the entry"):
        store_secret(CLIENT, SECRET, keyring_backend=ForgetfulKeyring())


def test_deleting_without_a_keyring_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no system keyring is available here"):
        delete_secret(CLIENT, keyring_backend=BrokenKeyring(NoKeyringError("none")))


def test_deleting_from_a_keyring_that_claims_nothing_is_missing() -> None:
    assert delete_secret(CLIENT, keyring_backend=ForgetfulKeyring()) is False


class VanishingKeyring(InMemoryKeyring):
    """An entry that another process removes between the look-up and the delete."""

    def delete_password(self, service: str, username: str) -> None:
        self.entries.clear()
        super().delete_password(service, username)


def test_an_entry_gone_before_the_delete_counts_as_none() -> None:
    backend = VanishingKeyring()
    backend.set_password(KEYRING_SERVICE, CLIENT_ACCOUNT, SECRET)

    assert delete_secret(CLIENT, keyring_backend=backend) is False


def test_deleting_needs_a_server() -> None:
    with pytest.raises(UsageError, match="no server"):
        delete_secret(Settings(username="bob"), keyring_backend=InMemoryKeyring())


# --- the real keyring module, with an in-memory backend --------------------------------------


@pytest.fixture
def system_keyring() -> Iterator[InMemoryKeyring]:
    """``keyring``'s current backend swapped for an in-memory one, and put back afterwards."""
    previous = keyring.get_keyring()
    backend = InMemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_the_keyring_module_is_the_default_backend(system_keyring: InMemoryKeyring) -> None:
    account = store_secret(USER, SECRET)

    assert system_keyring.entries == {(KEYRING_SERVICE, account): SECRET}
    provider = resolve_credentials(
        USER,
        environ={},
        password_stdin=False,
        stdin=io.StringIO(),
        interactive=False,
    )
    assert secret_of(provider) == SECRET
    assert delete_secret(USER) is True
    assert delete_secret(USER) is False
    assert system_keyring.entries == {}


def test_the_keyring_modules_fail_backend_does_not_crash(
    system_keyring: InMemoryKeyring,
) -> None:
    from keyring.backends import fail  # noqa: PLC0415

    # What keyring uses when no backend works here; the fixture puts the previous one back.
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]

    provider = resolve_credentials(
        USER,
        environ={},
        password_stdin=False,
        stdin=io.StringIO(),
        interactive=True,
        prompt=Prompt(SECRET),
    )

    assert secret_of(provider) == SECRET
    with pytest.raises(UsageError, match="no system keyring is available here"):
        store_secret(USER, SECRET)


def test_in_memory_backend_is_never_chosen_by_keyring_on_its_own() -> None:
    assert InMemoryKeyring.priority < 0  # below keyring's "fail" backend


def test_keyring_backends_fit_the_protocol() -> None:
    backend: KeyringLike = InMemoryKeyring()  # checked by mypy
    assert isinstance(backend, keyring.backend.KeyringBackend)
