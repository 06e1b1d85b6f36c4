"""``sohoa users``: staff accounts (people who log in to the desk), kept apart from ``cli.py``.

A password is read from standard input, never taken as an argument: arguments show in ``ps``,
in shell history and in process accounting. At a terminal it is asked twice without echo;
from a pipe (``printf '%s\\n' "$PW" | sohoa users create ...``) the first line is taken.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from .config import get_settings
from .errors import SohoaError
from .store.index import Index, User, database_url, utcnow

EXIT_OK = 0


def read_password(stdin: TextIO, prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The new password: typed twice at a terminal, else the first line of ``stdin``."""
    if stdin.isatty():
        first = prompt("Mật khẩu / password: ")
        if prompt("Nhập lại / again: ") != first:
            raise SohoaError("The two passwords differ.", "Hai lần nhập mật khẩu không khớp.",
                             code="weak_password")
        return first
    return stdin.readline().rstrip("\r\n")


@contextmanager
def _session() -> Iterator[Session]:
    index = Index.open(database_url(get_settings()))
    try:
        with index.session() as session:
            yield session
    finally:
        index.close()


def _cmd_create(args: argparse.Namespace) -> int:
    from .store import users
    from .store.repo import ensure_agency

    settings = get_settings()
    users.normalise_username(args.username)  # bad input before asking for a password
    password = read_password(sys.stdin)
    users.check_password(password, settings.password_min_length)
    with _session() as session:
        ensure_agency(session, args.agency, args.agency_name)
        user = users.create_user(session, args.agency, args.username, args.name, args.role,
                                 password, min_length=settings.password_min_length)
    print(f"Đã tạo tài khoản {user.username} ({', '.join(user.roles.split())}) của {args.agency} "
          f"/ staff account {user.username} created, id {user.id}.", file=sys.stderr)
    return EXIT_OK


def _cmd_disable(args: argparse.Namespace) -> int:
    from .store import users

    with _session() as session:
        user = users.disable_user(session, args.username)
    print(f"Đã vô hiệu hóa tài khoản {user.username}; các phiên đăng nhập đã kết thúc / staff "
          f"account {user.username} disabled; its sessions have ended.", file=sys.stderr)
    return EXIT_OK


def _state(user: User) -> str:
    if user.disabled_at is not None:
        return "disabled"
    if user.locked_until is not None and user.locked_until > utcnow():
        return "locked"
    return "active"


def _cmd_list(args: argparse.Namespace) -> int:
    from .store import users

    with _session() as session:
        found = users.list_users(session, args.agency)
    for user in found:  # tab-separated: username, roles, state, own signer, full name
        signer = "pkcs12" if user.signer_p12 else "pkcs11" if user.signer_pkcs11_key else "-"
        print("\t".join((user.username, ",".join(user.roles.split()), _state(user), signer,
                         user.full_name)))
    return EXIT_OK


def _existing(path: str | None) -> str | None:
    """``path`` made absolute (workers run elsewhere), or bad input when there is no such file."""
    if path is None:
        return None
    found = Path(path).resolve()
    if not found.is_file():
        raise SohoaError(f"No such file: {path}", f"Không có tệp: {path}", code="not_found")
    return str(found)


def _cmd_set_signer(args: argparse.Namespace) -> int:
    from .store import users

    files = {name: _existing(getattr(args, name)) for name in ("p12", "password_file", "cert")}
    with _session() as session:
        user = users.set_signer(session, args.username, password_env=args.password_env,
                                pkcs11_key=args.pkcs11_key, **files)
    which = ("own PKCS#12 certificate" if user.signer_p12 else
             "own key on the PKCS#11 token" if user.signer_pkcs11_key else
             "the installation's digitizer certificate")
    print(f"{user.username}: digitizer signature by {which}.", file=sys.stderr)
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add ``sohoa users ...`` to the ``sohoa`` parser's sub-commands."""
    group = commands.add_parser("users", help="staff accounts who log in to the desk")
    sub = group.add_subparsers(dest="users_command", required=True)

    create = sub.add_parser(
        "create", help="create a staff account (password on standard input)",
        description="Create a person's account. The password is read from standard input (asked "
                    "twice at a terminal), never from an argument. The agency is created when "
                    "it does not exist yet.")
    create.add_argument("--agency", required=True, metavar="CODE", help="mã đơn vị")
    create.add_argument("--agency-name", help="name of an agency created now")
    create.add_argument("--username", required=True, metavar="U",
                        help="login name, unique across agencies: a-z, 0-9, '.', '_', '-'")
    create.add_argument("--name", required=True, help="Họ và tên (full name)")
    create.add_argument("--role", required=True, action="append",
                        help="clerk, operator, system, auditor or admin; repeat for several")
    create.set_defaults(run=_cmd_create)

    disable = sub.add_parser("disable", help="disable an account; its sessions end at once")
    disable.add_argument("username", metavar="U")
    disable.set_defaults(run=_cmd_disable)

    listing = sub.add_parser("list", help="an agency's accounts (tab-separated)")
    listing.add_argument("--agency", required=True, metavar="CODE")
    listing.set_defaults(run=_cmd_list)

    signer = sub.add_parser(
        "set-signer", help="the person's own digitizer certificate (none: clear it)",
        description="Name where the person's own signing key is; records they approve then "
                    "carry their digitizer signature. The password itself is never stored.")
    signer.add_argument("username", metavar="U")
    signer.add_argument("--p12", metavar="PATH", help="PKCS#12 file")
    signer.add_argument("--password-env", metavar="VAR",
                        help="name of the environment variable holding the PKCS#12 password")
    signer.add_argument("--password-file", metavar="FILE", help="file holding it")
    signer.add_argument("--pkcs11-key", metavar="LABEL",
                        help="key label on the token of SOHOA_SIGN_PKCS11_MODULE/_TOKEN")
    signer.add_argument("--cert", metavar="PEM", help="certificate chain of a token key")
    signer.set_defaults(run=_cmd_set_signer)
