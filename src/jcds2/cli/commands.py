"""What each ``jcds2`` command does, on top of the public library API.

Each command takes a :class:`Session` (the parsed arguments, the resolved settings, the
output and the progress bars) and returns its exit code. Failures that concern one file
of several are reported and counted, and the other files go on; failures of the whole
command raise and are reported once by ``jcds2.cli.main``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from jcds2 import (
    ApiClientCredentialsProvider,
    BasicAuthProvider,
    BatchItem,
    CredentialsProvider,
    DownloadResult,
    JamfApiError,
    JamfProClient,
    Jcds2Error,
    Package,
    RemoteFile,
    UploadResult,
)
from jcds2.cli import audit, dry_run, secrets, status
from jcds2.cli.edit import edit
from jcds2.cli.errors import UsageError
from jcds2.cli.output import (
    EXIT_DIFFERS,
    EXIT_FAILURE,
    EXIT_OK,
    error_message,
    exit_code_for,
    plain,
    worst,
)
from jcds2.cli.session import Session
from jcds2.cli.sync import sync
from jcds2.cli.table import aligned, human_size, is_terminal
from jcds2.errors import (
    DestinationDirectoryMissingError,
    PermissionDeniedError,
    ServerUnreachableError,
)

log = logging.getLogger("jcds2.cli")

# -- upload -------------------------------------------------------------------------------


def upload(session: Session) -> int:
    args = session.args
    if args.package_name is not None and len(args.files) > 1:
        raise UsageError("--package-name names one package: give one FILE, or leave it out")
    if args.create_category and args.category is None:
        raise UsageError("--create-category creates the --category named: give --category NAME")
    if session.settings.file_share and session.settings.route == "packages":
        raise UsageError(
            "--file-share works with the jcds route only: the packages route uploads "
            "through Jamf Pro to its cloud distribution point"
        )
    if args.dry_run:
        return dry_run.upload(session)
    with session.client(route=session.settings.route) as client:
        facade = client.jcds2
        # A file share is reported as the jcds route, whose package objects it shares.
        route = "jcds" if facade.route == "file_share" else facade.route
        metadata: dict[str, Any] = {
            "category": args.category,
            "create_category": args.create_category,
            "info": args.info,
            "notes": args.notes,
            "priority": args.priority,
            "on_exists": args.on_exists,
            "verify": args.verify,
            "require_signed": args.require_signed,
        }
        if len(args.files) == 1:
            [path] = args.files
            try:
                name, size = Path(path).name, _size_or_none(path)
                with session.bars.logging(), session.bars.file(name, size) as progress:
                    result = facade.upload_file(
                        path,
                        package_name=args.package_name,
                        progress=progress,
                        on_phase=progress.phase,
                        **metadata,
                    )
            except Jcds2Error as exc:
                return _upload_failed(session, path, route, exc)
            _upload_done(session, path, route, result)
            return EXIT_OK
        totals = {Path(path).name: size for path in args.files if (size := _size_or_none(path))}
        try:
            with session.bars.logging():
                items = facade.upload_files(
                    args.files,
                    workers=args.workers,
                    progress=session.bars.batch(totals),
                    on_phase=session.bars.phase,
                    **metadata,
                )
        finally:
            session.bars.close()
        return worst([_upload_item(session, route, item) for item in items])


def _size_or_none(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return None


def _upload_item(session: Session, route: str, item: BatchItem) -> int:
    if item.result is not None:
        _upload_done(session, str(item.path), route, item.result)
        return EXIT_OK
    assert item.error is not None
    return _upload_failed(session, str(item.path), route, item.error)


def _upload_failed(session: Session, path: str, route: str, error: BaseException) -> int:
    session.output.error(error, path, command="upload", path=path, route=route, status="failed")
    return exit_code_for(error)


def _upload_done(session: Session, path: str, route: str, result: UploadResult) -> None:
    status = "skipped" if result.skipped else "replaced" if result.replaced else "uploaded"
    checked = ", verified" if result.verified else ""
    how = "in parts" if result.multipart else "in one request"
    package = f"package {result.package_id} {result.package_name!r}"
    if result.skipped:
        text = f"skipped {result.file_name}: {package} already has this file"
    elif result.replaced:
        text = (
            f"replaced the file of {package} with {result.file_name} ({result.size} bytes{checked})"
        )
    else:
        text = f"uploaded {result.file_name} ({result.size} bytes, {how}{checked}) as {package}"
    if result.signed_by is not None:
        text += f"; signed by {result.signed_by}"
    data = {"command": "upload", "path": path, "route": route, "status": status}
    if result.changed_fields:
        # The package existed: the package options given were written to it.
        text += f"; changed its {', '.join(result.changed_fields)}"
    session.output.result(text, data | plain(result))


# -- download -----------------------------------------------------------------------------


def download(session: Session) -> int:
    args = session.args
    if len(args.names) > 1 and not Path(args.output).is_dir():
        raise UsageError(
            f"{args.output} is not a directory: with several names, -o must name an existing "
            "directory"
        )
    missing = _missing_directory(args.output)
    if missing is not None:
        # A usage error like the one above: found before signing in, nothing sent (exit 2).
        raise UsageError(str(DestinationDirectoryMissingError(missing)))
    with session.client() as client:
        sizes = _sizes(client) if session.bars.enabled else {}
        codes = []
        for name in args.names:
            try:
                with session.bars.logging(), session.bars.file(name, sizes.get(name)) as progress:
                    result = client.jcds2.download_file(
                        name,
                        args.output,
                        overwrite=args.overwrite,
                        resume=args.resume,
                        progress=progress,
                    )
            except Jcds2Error as exc:
                session.output.error(exc, name, command="download", file_name=name, status="failed")
                codes.append(exit_code_for(exc))
                continue
            _download_done(session, result)
            codes.append(EXIT_OK)
        return worst(codes)


def _missing_directory(output: str) -> Path | None:
    """The directory ``-o`` names that should hold the download but does not exist, if any:
    the path itself when it ends in a separator, else its parent."""
    path = Path(output).expanduser()
    if path.is_dir():
        return None
    if output.endswith((os.sep, "/")):
        return path
    return None if path.parent.is_dir() else path.parent


def _sizes(client: JamfProClient) -> dict[str, int]:
    try:
        return {remote.file_name: remote.size for remote in client.jcds2.list_files()}
    except JamfApiError as exc:  # only the bars' totals depend on it
        log.debug("no sizes for the progress bars: %s", exc)
        return {}


def _download_done(session: Session, result: DownloadResult) -> None:
    checks = ", MD5 verified" if result.verified_md5 else ""
    resumed = f", {result.resumed_bytes} resumed" if result.resumed_bytes else ""
    text = f"downloaded {result.file_name} to {result.path} ({result.size} bytes{checks}{resumed})"
    session.output.result(text, {"command": "download", "status": "downloaded"} | plain(result))


# -- ls, rm, verify -----------------------------------------------------------------------


def list_files(session: Session) -> int:
    with session.client() as client:
        files = sorted(client.jcds2.list_files(), key=lambda remote: remote.file_name)
        users = _package_users(session, client) if files else {}
    if not files and not session.output.json and not session.output.quiet:
        # Said on stderr: standard output stays empty for a script reading the names.
        session.output.note("jcds2: the distribution point holds no files")
    exact = not is_terminal(session.output.stdout)
    rows = [("SIZE", "MD5", "SHA3-512", "NAME", "PACKAGE")]
    for remote in files:
        sha3 = remote.sha3_512[:16] + "…" if remote.sha3_512 else "-"
        size = str(remote.size) if exact else human_size(remote.size)
        rows.append((size, remote.md5 or "-", sha3, remote.file_name, _user(users, remote)))
    lines = aligned(rows, right=frozenset({0}))
    if not session.output.json and not session.output.quiet and files:
        print(lines[0], file=session.output.stdout)
    for line, remote in zip(lines[1:], files, strict=True):
        user = users.get(remote.file_name) if users is not None else None
        data: dict[str, Any] = {
            "command": "ls",
            "file_name": remote.file_name,
            "size": remote.size,
            "md5": remote.md5,
            "sha3_512": remote.sha3_512,
        }
        if users is not None:
            data |= {
                "package_id": None if user is None else user.id,
                "package_name": None if user is None else user.name,
            }
        session.output.result(line, data)
    return EXIT_OK


def _package_users(session: Session, client: JamfProClient) -> dict[str, Package] | None:
    """The package that uses each file name (the lowest id, as Jamf Pro's inventory
    shows it), from one listing of the packages; ``None`` when they cannot be read (the
    account may not, say): the files are listed all the same, with a note."""
    try:
        packages = client.packages.all()
    except JamfApiError as exc:
        message = error_message(exc)
        session.output.note(f"jcds2: note: not showing the packages that use the files: {message}")
        return None
    users: dict[str, Package] = {}
    for package in sorted(packages, key=lambda package: package.id):
        users.setdefault(package.file_name, package)
    return users


def _user(users: dict[str, Package] | None, remote: RemoteFile) -> str:
    if users is None:
        return "?"
    user = users.get(remote.file_name)
    return "none" if user is None else f"{user.id} {user.name}"


def remove(session: Session) -> int:
    names: list[str] = session.args.names
    if session.args.dry_run:
        return dry_run.remove(session)
    if not session.args.yes:
        if not session.interactive:
            raise UsageError(
                "not deleting without confirmation: pass --yes (standard input is not a terminal)"
            )
        session.output.note(f"{delete_question(names)} [y/N] ", end="")
        if session.stdin.readline().strip().lower() not in {"y", "yes"}:
            session.output.note("jcds2: nothing deleted")
            return EXIT_FAILURE
    codes = []
    with session.client() as client:
        for name in names:
            try:
                package_id = client.jcds2.remove_file(name, force=session.args.force)
            except Jcds2Error as exc:
                session.output.error(exc, name, command="rm", file_name=name, status="failed")
                codes.append(exit_code_for(exc))
                continue
            what = f" and package {package_id}" if package_id is not None else ""
            session.output.result(
                f"deleted {name}{what}",
                {"command": "rm", "file_name": name, "status": "deleted", "package_id": package_id},
            )
            codes.append(EXIT_OK)
    return worst(codes)


def delete_question(names: Sequence[str]) -> str:
    """The ``rm`` confirmation, in English: "Delete A.pkg and the package that uses it?"."""
    if len(names) == 1:
        return f"Delete {names[0]} and the package that uses it?"
    # "A, B and C and the packages" would read as two lists: commas only, one "and".
    return f"Delete {', '.join(names)} and the packages that use them?"


def verify_target(name: str, file: str | None) -> tuple[str, str]:
    """The server's file name and the local path that ``jcds2 verify NAME [--file PATH]``
    compares: a NAME with a folder in it is the local file, named on the server as it is
    named here; a plain NAME is the server's, compared with ``--file`` or ``./NAME``."""
    separators = {"/", os.sep, os.altsep or os.sep}
    if not any(separator in name for separator in separators):
        return name, file or name
    if file is not None:
        raise UsageError(
            f"{name} is a path, not a file name on the server: with --file, NAME is the file's "
            "name on the server; or give the path alone"
        )
    server_name = Path(name).expanduser().name
    if server_name in ("", ".", ".."):
        raise UsageError(f"{name} names a folder: give the path of a file")
    return server_name, name


def verify(session: Session) -> int:
    name, local_path = verify_target(session.args.name, session.args.file)
    with session.client() as client:
        compared = client.jcds2.verify_file(name, local_path)
    path, label, remote_hash, local_hash = (
        compared.path,
        compared.algorithm,
        compared.remote_hash,
        compared.local_hash,
    )
    same = compared.match
    data = {
        "command": "verify",
        "file_name": name,
        "path": str(path),
        "match": same,
        "algorithm": label,
        "remote_size": compared.remote_size,
        "local_size": compared.local_size,
        "remote_hash": remote_hash,
        "local_hash": local_hash,
    }
    if same:
        session.output.result(
            f"{name}: the server's file matches {path} ({compared.remote_size} bytes, {label} "
            f"{remote_hash[:16]}…)",
            data,
        )
        return EXIT_OK
    if local_hash is None:
        detail = f"the server has {compared.remote_size} bytes, {path} has {compared.local_size}"
    else:
        detail = f"{label} {remote_hash[:16]}… on the server, {local_hash[:16]}… in {path}"
    session.output.note(f"jcds2: {name} differs from {path}: {detail}")
    if session.output.json:
        session.output.result("", data)
    return EXIT_DIFFERS


# -- ping, login, logout ------------------------------------------------------------------


def ping(session: Session) -> int:
    settings = session.settings
    data: dict[str, Any] = {"command": "ping", "server": settings.server}
    credentials = session.credentials()
    identity = _identity(credentials)
    with session.client(credentials) as client:
        data["server"] = client.server.base_url
        try:
            version = client.server_version()
        except Jcds2Error as exc:
            reachable = not isinstance(exc, ServerUnreachableError)
            session.output.error(exc, **data, reachable=reachable, authenticated=False)
            return EXIT_FAILURE
        try:
            capable: bool | None = client.packages.upload_capability().direct_upload_capable
        except PermissionDeniedError:
            capable = None
    direct = {True: "yes", False: "no", None: "unknown (no privilege to read it)"}[capable]
    data |= {
        "reachable": True,
        "authenticated": True,
        "identity": identity,
        "version": version,
        "direct_upload_capable": capable,
    }
    session.output.result(
        f"{data['server']}: Jamf Pro {version}; credentials of {identity} accepted; direct "
        f"uploads: {direct}",
        data,
    )
    return EXIT_OK


def _identity(credentials: CredentialsProvider) -> str:
    if isinstance(credentials, ApiClientCredentialsProvider):
        return f"API client {credentials.client_id!r}"
    if isinstance(credentials, BasicAuthProvider):
        return f"user {credentials.username!r}"
    return type(credentials).__name__


def _secret_of(credentials: CredentialsProvider) -> str:
    if isinstance(credentials, ApiClientCredentialsProvider):
        return credentials.client_secret
    if isinstance(credentials, BasicAuthProvider):
        return credentials.password
    raise UsageError("only API client and user credentials can be stored in the keyring")


def login(session: Session) -> int:
    # Before the secret is asked for (or read, or sent to the server): it could not be kept.
    secrets.check_keyring(session.settings)
    without_keyring = attrs.evolve(session.settings, keyring=False)
    try:
        credentials = session.credentials(without_keyring)
    except UsageError as exc:
        if not str(exc).startswith(("no client secret", "no password")):
            raise
        raise UsageError(
            "jcds2 login needs the secret once: pipe it to --password-stdin, set "
            "JAMF_CLIENT_SECRET (or JAMF_PASSWORD with --username), or run it on a terminal "
            "to be asked"
        ) from exc
    with session.client(credentials) as client:
        version = client.server_version()  # the secret works before it is kept
        server = client.server.base_url
    account = secrets.store_secret(session.settings, _secret_of(credentials))
    session.output.result(
        f"stored the secret for {account} in the system keyring (Jamf Pro {version} accepted it)",
        {"command": "login", "server": server, "account": account, "stored": True},
    )
    return EXIT_OK


def logout(session: Session) -> int:
    removed = secrets.delete_secret(session.settings)
    account = _account(session)
    text = f"removed the secret for {account}" if removed else f"no secret stored for {account}"
    session.output.result(text, {"command": "logout", "account": account, "removed": removed})
    return EXIT_OK


def _account(session: Session) -> str:
    settings = session.settings
    identity = settings.client_id or settings.username
    if not settings.server or not identity:
        raise UsageError("logout needs the server and the client id or user name")
    return secrets.keyring_account(settings.server, identity)


COMMANDS: dict[str, Callable[[Session], int]] = {
    "upload": upload,
    "download": download,
    "ls": list_files,
    "status": status.status,
    "audit": audit.audit,
    "sync": sync,
    "rm": remove,
    "verify": verify,
    "edit": edit,
    "ping": ping,
    "login": login,
    "logout": logout,
}
