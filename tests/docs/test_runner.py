"""The executed-example runner fails what it should fail (it must not pass everything)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.docs import runner

FAKE_EMULATOR = {
    "url": "http://127.0.0.1:9",
    "client_id": "client-id",
    "client_secret": "client-secret",
    "s3_endpoint_url": "http://127.0.0.1:9",
}


def run_page(markdown: str, tmp_path: Path) -> None:
    """Run a synthetic page the way test_examples runs a real one (without an emulator)."""
    base = Path(tempfile.mkdtemp(dir=tmp_path))
    page = base / "page.md"
    page.write_text(markdown, encoding="utf-8")
    workdir, scratch = base / "work", base / "scratch"
    workdir.mkdir()
    scratch.mkdir()
    runner.write_sample_files(workdir)
    blocks = runner.parse_blocks(markdown, "page.md")
    runner.check_tags(blocks)
    runner.run_blocks(
        blocks,
        page,
        workdir=workdir,
        scratch=scratch,
        environment=runner.page_environment(workdir, FAKE_EMULATOR),
    )


def fails(markdown: str, tmp_path: Path) -> str:
    with pytest.raises(runner.ExampleError) as caught:
        run_page(markdown, tmp_path)
    return str(caught.value)


# --- finding blocks -----------------------------------------------------------------------


def test_blocks_are_found_with_their_tag_and_line() -> None:
    markdown = (
        "# Title\n"
        "\n"
        "```python\n"
        "x = 1\n"
        "```\n"
        "~~~~console\n"
        "$ echo hi\n"
        "hi\n"
        "~~~~\n"
        "````markdown\n"
        "```python\n"
        "not a block of its own\n"
        "```\n"
        "````\n"
        "- a list item:\n"
        "\n"
        "  ```toml\n"
        '  server = "x"\n'
        "  ```\n"
        "```{eval-rst}\n"
        ".. note:: hi\n"
        "```\n"
    )
    blocks = runner.parse_blocks(markdown, "p.md")
    assert [(b.tag, b.line) for b in blocks] == [
        ("python", 3),
        ("console", 6),
        ("markdown", 10),
        ("toml", 17),
        ("{eval-rst}", 20),
    ]
    assert blocks[0].text == "x = 1\n"
    assert blocks[2].text == "```python\nnot a block of its own\n```\n"
    assert blocks[3].text == 'server = "x"\n'
    assert [b.tag for b in runner.executed(blocks)] == ["python", "console", "toml"]


def test_a_block_without_a_tag_fails() -> None:
    blocks = runner.parse_blocks("text\n\n```\nx\n```\n", "p.md")
    with pytest.raises(runner.ExampleError, match=r"p\.md:3: a fenced block without"):
        runner.check_tags(blocks)


def test_an_unknown_tag_fails_so_a_misspelt_one_is_not_skipped() -> None:
    blocks = runner.parse_blocks("```pyhton\nraise SystemExit(1)\n```\n", "p.md")
    with pytest.raises(runner.ExampleError, match="unknown tag 'pyhton'"):
        runner.check_tags(blocks)


def test_blocks_that_are_not_run_are_not_run(tmp_path: Path) -> None:
    run_page(
        "```text\n$ false\n```\n```shell\nexit 1\n```\n```none\nx\n```\n"
        "```{code-block} toml\nnot = valid = toml\n```\n",
        tmp_path,
    )


# --- python ---------------------------------------------------------------------------------


def test_a_python_block_that_raises_fails_with_the_page_line(tmp_path: Path) -> None:
    message = fails("# T\n\n```python\nx = 1\nraise ValueError('boom')\n```\n", tmp_path)
    assert message.startswith("page.md:3: python block raised ValueError: boom")
    assert "line 5" in message  # the traceback names the page's line


def test_a_python_syntax_error_fails(tmp_path: Path) -> None:
    message = fails("```python\ndef f(:\n```\n", tmp_path)
    assert "SyntaxError" in message


def test_a_python_block_that_exits_non_zero_fails(tmp_path: Path) -> None:
    assert "exited with 3" in fails("```python\nraise SystemExit(3)\n```\n", tmp_path)


def test_python_blocks_share_one_namespace_the_environment_and_the_samples(
    tmp_path: Path,
) -> None:
    run_page(
        "```python\nimport os\nvalue = 41\n```\n\ntext\n\n"
        "```python\n"
        "assert value + 1 == 42\n"
        "assert os.environ['JAMF_URL'] == 'http://127.0.0.1:9'\n"
        "assert os.environ['JCDS2_KEYRING'] == '0'\n"
        "assert os.path.getsize('Firefox-128.0.pkg') == 1024 * 1024\n"
        "assert os.path.getsize('GoogleChrome.pkg') == 300 * 1024\n"
        "assert os.path.getsize('Zoom.pkg') == 64 * 1024\n"
        "```\n",
        tmp_path,
    )


def test_the_sample_files_are_the_same_on_every_run(tmp_path: Path) -> None:
    first, second = tmp_path / "1", tmp_path / "2"
    first.mkdir()
    second.mkdir()
    runner.write_sample_files(first)
    runner.write_sample_files(second)
    for name in runner.SAMPLE_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert (first / "Zoom.pkg").read_bytes() != (first / "GoogleChrome.pkg").read_bytes()[:65536]


# --- pycon ----------------------------------------------------------------------------------


def test_a_pycon_mismatch_fails(tmp_path: Path) -> None:
    message = fails("```pycon\n>>> 1 + 1\n3\n```\n", tmp_path)
    assert "page.md:1: pycon block failed" in message
    assert "Expected:" in message
    assert "Got:" in message
    assert "line 2" in message


def test_pycon_uses_ellipsis_and_the_python_namespace(tmp_path: Path) -> None:
    run_page(
        "```python\nwords = ['alpha', 'beta', 'gamma']\n```\n"
        "```pycon\n>>> words\n['alpha', ..., 'gamma']\n>>> for w in words[:2]:\n"
        "...     print(w)\nalpha\nbeta\n```\n",
        tmp_path,
    )


def test_a_pycon_exception_that_is_not_expected_fails(tmp_path: Path) -> None:
    assert "ZeroDivisionError" in fails("```pycon\n>>> 1 / 0\n```\n", tmp_path)


# --- console --------------------------------------------------------------------------------


def test_console_output_is_compared(tmp_path: Path) -> None:
    run_page("```console\n$ echo hello\nhello\n$ echo a; echo b >&2\na\nb\n```\n", tmp_path)


def test_wrong_console_output_fails_with_command_expected_and_actual(tmp_path: Path) -> None:
    message = fails("text\n\n```console\n$ echo one\n$ echo hello\nhallo\n```\n", tmp_path)
    assert message.startswith("page.md:4: `echo one`")  # nothing expected, "one" printed
    message = fails("```console\n$ echo hello\nhallo\n```\n", tmp_path)
    assert "page.md:2: `echo hello`" in message
    assert "expected (exit 0):\n    hallo\n" in message
    assert "got (exit 0):\n    hello\n" in message


def test_an_ellipsis_line_matches_any_number_of_lines(tmp_path: Path) -> None:
    run_page(
        "```console\n$ printf 'a\\nb\\nc\\nd\\n'\na\n...\nd\n$ printf 'a\\nd\\n'\na\n...\nd\n"
        "$ printf 'x\\n'\n...\n```\n",
        tmp_path,
    )
    assert "`printf 'a\\nb\\n'`" in fails(
        "```console\n$ printf 'a\\nb\\n'\n...\nc\n```\n", tmp_path
    )


def test_an_ellipsis_within_a_line_matches_text_of_that_line_only(tmp_path: Path) -> None:
    run_page(
        "```console\n$ echo 'uploaded as package 412'\nuploaded as package ...\n```\n", tmp_path
    )
    assert runner.output_matches(["a...c"], "abbbc\n")
    assert not runner.output_matches(["a...c"], "a\nc\n")


def test_trailing_whitespace_and_blank_lines_do_not_count() -> None:
    assert runner.output_matches(["a", "b"], "a   \nb\n\n\n")
    assert not runner.output_matches(["a", "b"], "a\n\nb\n")


def test_a_failing_command_fails_unless_its_exit_status_is_expected(tmp_path: Path) -> None:
    message = fails("```console\n$ (echo nope; exit 3)\nnope\n```\n", tmp_path)
    assert "expected (exit 0)" in message
    assert "got (exit 3)" in message
    message = fails("```console\n$ echo nope; exit 3\nnope\n[exit 3]\n```\n", tmp_path)
    assert "the block's shell exited (status 3) in this command" in message
    run_page(
        "```console\n$ (echo nope; exit 3)\nnope\n[exit 3]\n$ echo after\nafter\n```\n", tmp_path
    )


def test_an_expected_exit_status_must_happen(tmp_path: Path) -> None:
    message = fails("```console\n$ true\n[exit 1]\n```\n", tmp_path)
    assert "expected (exit 1)" in message
    assert "got (exit 0)" in message
    message = fails("```console\n$ (exit 2)\n[exit 1]\n```\n", tmp_path)
    assert "got (exit 2)" in message


def test_commands_after_a_failed_one_do_not_run(tmp_path: Path) -> None:
    message = fails("```console\n$ false\n$ touch ran\n```\n", tmp_path)
    assert "`false`" in message
    assert not list(tmp_path.rglob("ran"))


def test_one_shell_per_block_so_exports_carry_to_later_lines(tmp_path: Path) -> None:
    run_page(
        '```console\n$ export GREETING=hi\n$ echo "$GREETING $JAMF_CLIENT_ID"\nhi client-id\n```\n'
        '```console\n$ echo "[${GREETING:-unset}]"\n[unset]\n```\n',
        tmp_path,
    )


def test_a_long_command_continues_after_a_backslash(tmp_path: Path) -> None:
    run_page("```console\n$ echo one \\\n>   two\none two\n```\n", tmp_path)


def test_a_console_block_must_start_with_a_command(tmp_path: Path) -> None:
    assert "before any `$ ` command" in fails("```console\nhello\n$ echo hello\n```\n", tmp_path)


def test_console_commands_run_in_the_working_directory_with_the_venv_first(
    tmp_path: Path,
) -> None:
    run_page(
        "```console\n$ ls\nFirefox-128.0.pkg\nGoogleChrome.pkg\nZoom.pkg\n"
        '$ command -v jcds2\n.../jcds2\n$ echo "$HOME" | grep -c work\n1\n```\n',
        tmp_path,
    )


# --- toml -----------------------------------------------------------------------------------


def test_a_valid_config_file_loads(tmp_path: Path) -> None:
    run_page(
        '```toml\nserver = "https://example.jamfcloud.com"\nclient_id = "abc"\n\n'
        '[profiles.test]\nusername = "me"\nkeyring = false\n```\n',
        tmp_path,
    )


@pytest.mark.parametrize(
    ("toml", "reason"),
    [
        ('server = "unterminated\n', "not valid TOML"),
        ('serverr = "https://example.jamfcloud.com"\n', "serverr"),
        ('client_secret = "s3cr3t"\n', "secret"),
        ('route = "fastest"\n', "route"),
    ],
)
def test_a_config_file_that_does_not_load_fails(toml: str, reason: str, tmp_path: Path) -> None:
    message = fails(f"```toml\n{toml}```\n", tmp_path)
    assert message.startswith("page.md:1: toml block is not a valid config file")
    assert reason in message
