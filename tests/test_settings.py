"""Every setting is documented in the README, and environment variables override defaults."""

from pathlib import Path

import pytest

from mteb_lb import settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_setting_is_documented(setting):
    assert f"`{setting.env}`" in README


def test_environment_overrides_default(monkeypatch, tmp_path):
    monkeypatch.setenv("MTEB_LB_KEEP_BUILDS", "7")
    monkeypatch.setenv("MTEB_LB_WAREHOUSE", str(tmp_path / "w"))
    assert settings.get("keep_builds") == 7
    assert settings.get("warehouse") == tmp_path / "w"


def test_invalid_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("MTEB_LB_SQL_MAX_ROWS", "many")
    with pytest.raises(ValueError, match="MTEB_LB_SQL_MAX_ROWS='many' is not valid"):
        settings.get("sql_max_rows")
