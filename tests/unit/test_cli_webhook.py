"""`sohoa webhook set`: an agency's callback URL and its signing secret, shown once."""

from __future__ import annotations

from ocr_service.cli import main
from ocr_service.store.index import Index, database_url
from ocr_service.store.repo import get_agency


def test_webhook_set_stores_the_url_and_prints_a_new_secret_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path))
    from ocr_service.config import get_settings

    get_settings.cache_clear()
    try:
        assert main(["keys", "create", "--agency", "000.00.10.H29", "--role", "admin"]) == 0
        capsys.readouterr()
        assert main(["webhook", "set", "--agency", "000.00.10.H29",
                     "--url", "https://motcua.example.vn/sohoa"]) == 0
        secret = capsys.readouterr().out.strip()
        index = Index(database_url(get_settings()))
        with index.session() as session:
            agency = get_agency(session, "000.00.10.H29")
            assert agency.webhook_url == "https://motcua.example.vn/sohoa"
            assert agency.webhook_secret == secret and len(secret) >= 40
        index.close()
        assert main(["webhook", "set", "--agency", "000.00.10.H29", "--url", "ftp://x"]) == 2
        assert "https://" in capsys.readouterr().err
        assert main(["webhook", "set", "--agency", "KHÔNG-CÓ", "--off"]) == 2
    finally:
        get_settings.cache_clear()
