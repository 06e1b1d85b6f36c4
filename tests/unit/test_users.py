"""Staff accounts on SQLite: password hashing, lock-out, disabling, sessions and their CSRF
token, ``sohoa users`` (password from standard input) and a person's own digitizer signer.
The HTTP side (cookie attributes, CSRF on real routes) is in tests/integration/test_session.py."""

from __future__ import annotations

import io
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select

from ocr_service import personal_signers
from ocr_service.cli import main
from ocr_service.cli_users import read_password
from ocr_service.config import Settings, get_settings
from ocr_service.errors import SohoaError
from ocr_service.pki import init_pki, load_certificates
from ocr_service.store import audit, repo, users
from ocr_service.store.index import AuditEvent, Index, Role, StaffSession, User, utcnow

PASSWORD = "mật khẩu đủ dài 2026"
SETTINGS = Settings(login_max_failures=3, login_lockout_minutes=10, session_idle_minutes=30,
                    session_max_hours=8)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    opened = Index.open(f"sqlite:///{tmp_path_factory.mktemp('users') / 'index.sqlite3'}")
    yield opened
    opened.close()


def new_user(index: Index, *roles: Role, password: str = PASSWORD) -> User:
    """A fresh account of a fresh agency (random names, so tests do not collide)."""
    code = f"T{uuid.uuid4().hex[:8].upper()}"
    with index.session() as session:
        repo.create_agency(session, code, "UBND xã Thử Nghiệm")
        return users.create_user(session, code, f"u{uuid.uuid4().hex[:10]}", "Trần Văn Bình",
                                 roles or (Role.CLERK,), password, min_length=12)


def _row(index: Index, user: User) -> User:
    with index.session() as session:
        return session.get(User, user.id)


def test_passwords_are_argon2id_hashes_and_compare_in_nfc(index: Index) -> None:
    user = new_user(index)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    decomposed = unicodedata.normalize("NFD", PASSWORD)
    assert decomposed != PASSWORD  # the same password typed with combining marks
    assert users.authenticate(index, user.username.upper(), decomposed, SETTINGS).id == user.id


def test_a_hash_with_weaker_parameters_is_replaced_at_login(index: Index) -> None:
    user = new_user(index)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with index.session() as session:
        session.get(User, user.id).password_hash = weak
    users.authenticate(index, user.username, PASSWORD, SETTINGS)
    stored = _row(index, user).password_hash
    assert stored != weak and not users.HASHER.check_needs_rehash(stored)
    assert users.authenticate(index, user.username, PASSWORD, SETTINGS).id == user.id


def test_unknown_user_and_wrong_password_are_refused_alike(index: Index) -> None:
    user = new_user(index)
    unknown = pytest.raises(users.LoginFailed, users.authenticate, index, "khong.co.ai",
                            PASSWORD, SETTINGS).value
    wrong = pytest.raises(users.LoginFailed, users.authenticate, index, user.username,
                          "sai mật khẩu rồi", SETTINGS).value
    assert unknown.as_dict() == wrong.as_dict() == {
        "code": "login_failed", "message": "Wrong username or password.",
        "message_vi": "Sai tên đăng nhập hoặc mật khẩu."}


def test_repeated_wrong_passwords_lock_the_account_for_a_while(index: Index) -> None:
    user = new_user(index)
    now = utcnow()
    for failures in (1, 2):
        with pytest.raises(users.LoginFailed):
            users.authenticate(index, user.username, "sai mật khẩu rồi", SETTINGS, now)
        assert _row(index, user).failed_logins == failures
    with pytest.raises(users.AccountLocked) as locked:  # the third locks
        users.authenticate(index, user.username, "sai mật khẩu rồi", SETTINGS, now)
    assert locked.value.code == "account_locked" and locked.value.retry_after == 600
    assert locked.value.headers == {"Retry-After": "600"}
    assert "10" in locked.value.message and "10 phút" in locked.value.message_vi
    row = _row(index, user)
    assert row.locked_until == now + timedelta(minutes=10) and row.failed_logins == 0
    with pytest.raises(users.AccountLocked):  # the right password waits too
        users.authenticate(index, user.username, PASSWORD, SETTINGS, now + timedelta(minutes=9))
    later = now + timedelta(minutes=10, seconds=1)
    assert users.authenticate(index, user.username, PASSWORD, SETTINGS, later).id == user.id
    assert _row(index, user).locked_until is None
    with index.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.subject_id == str(user.id))
                                 .order_by(AuditEvent.seq)).all()
        assert [e.action for e in events] == ["user.created", "user.login_failed",
                                              "user.login_failed", "user.locked", "user.login"]
        assert events[-1].actor_user_id == user.id
        assert audit.verify_chain(session, user.agency_id) == []


def test_a_right_password_resets_the_failure_count(index: Index) -> None:
    user = new_user(index)
    for _ in range(2):
        with pytest.raises(users.LoginFailed):
            users.authenticate(index, user.username, "sai mật khẩu rồi", SETTINGS)
    users.authenticate(index, user.username, PASSWORD, SETTINGS)
    assert _row(index, user).failed_logins == 0
    with pytest.raises(users.LoginFailed):  # one wrong after: counted from zero, not locked
        users.authenticate(index, user.username, "sai mật khẩu rồi", SETTINGS)


def test_sessions_end_when_idle_at_their_limit_and_on_logout(index: Index) -> None:
    user = new_user(index, Role.CLERK, Role.AUDITOR)
    now = utcnow()
    with index.session() as session:
        token, info = users.start_session(session, user, SETTINGS, now)
        other, _ = users.start_session(session, user, SETTINGS, now)
        stored = session.scalars(select(StaffSession.token_hash)).all()
    assert info.expires_at == now + timedelta(hours=8)
    assert info.idle_expires_at == now + timedelta(minutes=30)
    assert token not in stored and users._token_hash(token) in stored
    assert users.csrf_token(token) != users.csrf_token(other) != other
    assert users.csrf_matches(token, users.csrf_token(token))
    assert not users.csrf_matches(token, users.csrf_token(other))
    assert not users.csrf_matches(token, "")

    def live(at, which: str = token):
        with index.session() as session:
            return users.session_user(session, which, SETTINGS, at)

    found = live(now + timedelta(minutes=29))
    assert found.user.id == user.id and found.user.role_set == {Role.CLERK, Role.AUDITOR}
    # used at +29 min: alive until +59 min, then idle
    assert live(now + timedelta(minutes=58)) is not None
    assert live(now + timedelta(minutes=58 + 31)) is None
    assert live(now + timedelta(minutes=58)) is None  # an ended session stays ended
    assert live(now + timedelta(minutes=20), other) is not None
    for minutes in range(45, 8 * 60, 25):  # used all day: the absolute limit still ends it
        assert live(now + timedelta(minutes=minutes), other) is not None
    assert live(now + timedelta(hours=8), other) is None

    with index.session() as session:
        token, _ = users.start_session(session, user, SETTINGS)
    with index.session() as session:
        assert users.end_session(session, token) is not None
    assert live(utcnow()) is None


def test_disabling_refuses_the_password_and_ends_open_sessions_at_once(index: Index) -> None:
    user = new_user(index)
    with index.session() as session:
        token, _ = users.start_session(session, user, SETTINGS)
    with index.session() as session:
        users.disable_user(session, user.username.upper())
    with index.session() as session:
        assert users.session_user(session, token, SETTINGS) is None
        assert session.scalars(select(StaffSession).where(
            StaffSession.user_id == user.id)).all() == []
    with pytest.raises(users.LoginFailed):
        users.authenticate(index, user.username, PASSWORD, SETTINGS)


def test_usernames_are_unique_across_agencies_and_well_formed(index: Index) -> None:
    user = new_user(index)
    other = f"T{uuid.uuid4().hex[:8].upper()}"
    with index.session() as session:
        repo.create_agency(session, other)
    with index.session() as session, pytest.raises(SohoaError) as taken:
        users.create_user(session, other, user.username.upper(), "Lê Thị Hoa", ["clerk"],
                          PASSWORD, min_length=12)
    assert taken.value.code == "username_taken" and "duy nhất" in taken.value.message_vi
    for bad in ("ab", "lan nguyen", "nguyễn", "-lan", "x" * 65):
        with pytest.raises(SohoaError) as refused:
            users.normalise_username(bad)
        assert refused.value.code == "bad_username"
    assert users.normalise_username(" Lan.Nguyen_2 ") == "lan.nguyen_2"


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def test_users_create_reads_the_password_from_standard_input(data_dir: Path, monkeypatch,
                                                             capsys) -> None:
    argv = ["users", "create", "--agency", "000.00.10.H29", "--username", "nguyen.thi.lan",
            "--name", "Nguyễn Thị Lan", "--role", "clerk"]
    monkeypatch.setattr("sys.stdin", io.StringIO("ngắn quá\n"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "too short: at least 12 characters" in err and "Mật khẩu quá ngắn" in err
    with pytest.raises(SystemExit):  # there is no way to give it as an argument
        main([*argv, "--password", PASSWORD])
    capsys.readouterr()

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\nnext line is not read\n"))
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out == "" and PASSWORD not in err and "nguyen.thi.lan" in err
    index = Index(f"sqlite:///{data_dir / 'index.sqlite3'}")
    try:
        user = users.authenticate(index, "nguyen.thi.lan", PASSWORD, get_settings())
        assert user.full_name == "Nguyễn Thị Lan" and user.agency.code == "000.00.10.H29"
    finally:
        index.close()

    assert main(["users", "list", "--agency", "000.00.10.H29"]) == 0
    assert capsys.readouterr().out == "nguyen.thi.lan\tclerk\tactive\t-\tNguyễn Thị Lan\n"
    assert main(["users", "disable", "nguyen.thi.lan"]) == 0
    assert main(["users", "list", "--agency", "000.00.10.H29"]) == 0
    assert "\tdisabled\t" in capsys.readouterr().out
    assert main(["users", "disable", "khong.co.ai"]) == 2
    assert "Không tìm thấy người dùng" in capsys.readouterr().err


def test_a_terminal_is_asked_twice_without_echo() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter([PASSWORD, PASSWORD])
    assert read_password(Terminal(), lambda _prompt: next(answers)) == PASSWORD
    answers = iter([PASSWORD, "khác"])
    with pytest.raises(SohoaError, match="không khớp"):
        read_password(Terminal(), lambda _prompt: next(answers))


def test_a_person_with_their_own_certificate_signs_as_digitizer(
        index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pki = init_pki(tmp_path / "pki")
    settings = Settings(data_dir=tmp_path)
    user, plain = new_user(index), new_user(index)
    assert personal_signers.digitizer_for(settings, plain.id, index=index) is None
    assert personal_signers.digitizer_for(settings, None, index=index) is None
    own = tmp_path / "own.p12"  # any certificate that is not the installation's digitizer
    own.write_bytes(pki.agency_p12.read_bytes())
    var = f"SOHOA_TEST_P12_{uuid.uuid4().hex[:6].upper()}"
    with index.session() as session:
        users.set_signer(session, user.username, p12=str(own), password_env=var)
    with pytest.raises(SohoaError) as unset:
        personal_signers.digitizer_for(settings, user.id, index=index)
    assert unset.value.code == "sign_config" and var in unset.value.message_vi
    monkeypatch.setenv(var, pki.password)
    signer = personal_signers.digitizer_for(settings, user.id, index=index)
    assert signer is not None
    own_cert, digitizer_cert = (load_certificates(pem)[0].public_bytes(Encoding.DER)
                                for pem in (pki.agency_cert, pki.digitizer_cert))
    assert signer.signing_cert.dump() == own_cert != digitizer_cert
    assert personal_signers.digitizer_for(settings, user.id, index=index) is signer  # kept
    with index.session() as session, pytest.raises(SohoaError, match="--password-env"):
        users.set_signer(session, user.username, p12=str(own))
