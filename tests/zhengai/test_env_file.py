"""`.env` is read by the zhengai command and the Dagster code location; `.env.example` documents every variable."""

from __future__ import annotations

import re

from click.testing import CliRunner

from zhengai.cli import main
from zhengai.settings import REPO_ROOT, Settings, load_env_file

SETTINGS_SOURCE = (REPO_ROOT / "zhengai" / "settings.py").read_text(encoding="utf-8")
EXAMPLE = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")


def test_env_file_sets_what_the_environment_does_not(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("ZHENGAI_LEDGER", "ZHENGAI_SMTP_URL", "ZHENGAI_PUBLISH_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZHENGAI_OUTBOX", str(tmp_path / "from-the-environment"))
    (tmp_path / ".env").write_text(
        "# the school's settings\n"
        f"ZHENGAI_LEDGER={tmp_path / 'ledger.sqlite'}\n"
        "ZHENGAI_SMTP_URL=smtp+starttls://zhengai%40school.edu.cn:pw@mail.school.edu.cn:587?from=zhengai@school.edu.cn\n"
        f"ZHENGAI_OUTBOX={tmp_path / 'from-the-file'}\n"
        "ZHENGAI_PUBLISH_URL=postgresql://bi@db.school:5432/zhengai\n",
        encoding="utf-8",
    )
    assert load_env_file() == tmp_path / ".env"
    settings = Settings.from_env()
    assert settings.ledger == tmp_path / "ledger.sqlite"
    assert settings.smtp_url.startswith("smtp+starttls://zhengai%40school.edu.cn:pw@mail.school.edu.cn:587")
    assert settings.publish_url == "postgresql://bi@db.school:5432/zhengai"
    assert settings.outbox == tmp_path / "from-the-environment"  # the environment wins over the file


def test_the_zhengai_command_reads_the_env_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZHENGAI_SNAPSHOT", raising=False)
    (tmp_path / ".env").write_text(f"ZHENGAI_SNAPSHOT={tmp_path / 'elsewhere.duckdb'}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sql", "-c", "select 1"])
    assert result.exit_code == 1
    assert f"找不到 {tmp_path / 'elsewhere.duckdb'}" in result.output


def test_env_example_documents_every_variable_the_product_reads():
    read = set(re.findall(r'"(ZHENGAI_[A-Z_]+)"', SETTINGS_SOURCE)) | {"DAGSTER_HOME"}
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z_]+)=", EXAMPLE, flags=re.M))
    assert read - documented == set()
    assert documented - read == set()
