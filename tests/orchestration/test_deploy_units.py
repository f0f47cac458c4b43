"""The systemd units of orchestration/deploy/: what they start exists in the environment, and
systemd itself accepts them (with the checkout's paths in place of /opt/zhengai)."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "orchestration" / "deploy"
INSTALLED = "/opt/zhengai"


def units() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(DEPLOY.glob("zhengai-*.*"))}


def exec_start(text: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=").split()


def test_the_units_start_the_daemon_the_webserver_and_the_backup_from_the_environment():
    found = units()
    assert set(found) == {"zhengai-daemon.service", "zhengai-webserver.service", "zhengai-backup.service",
                          "zhengai-backup.timer"}
    daemon, webserver = exec_start(found["zhengai-daemon.service"]), exec_start(found["zhengai-webserver.service"])
    assert daemon[:4] == [f"{INSTALLED}/.venv/bin/dagster-daemon", "run", "-m", "orchestration.definitions"]
    assert webserver[:3] == [f"{INSTALLED}/.venv/bin/dagster-webserver", "-m", "orchestration.definitions"]
    assert exec_start(found["zhengai-backup.service"])[:2] == [f"{INSTALLED}/.venv/bin/zhengai", "backup"]
    for name in ("zhengai-daemon.service", "zhengai-webserver.service", "zhengai-backup.service"):
        assert f"EnvironmentFile={INSTALLED}/.env" in found[name] and f"WorkingDirectory={INSTALLED}" in found[name]
        program = exec_start(found[name])[0].replace(f"{INSTALLED}/.venv/bin", str(Path(sys.executable).parent))
        assert Path(program).exists(), program  # installed by `make install`
    assert "OnCalendar=*-*-* 06:00:00 Asia/Shanghai" in found["zhengai-backup.timer"]


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    user = getpass.getuser()
    venv_root = Path(sys.executable).parent.parent.parent  # the checkout holding .venv
    for name, text in units().items():
        text = (text.replace(INSTALLED, str(venv_root)).replace("User=zhengai", f"User={user}")
                .replace("Group=zhengai", "").replace("/var/backups/zhengai", str(tmp_path)))
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run([analyze, "verify", "--man=no", *sorted(str(p) for p in tmp_path.glob("zhengai-*"))],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
