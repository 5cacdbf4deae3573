"""``mre schedule [--minute M] [--hour H]``: ready-to-use scheduling for ``mre sync``.

Prints a crontab line and a systemd service + timer pair for this installation: the absolute path
of this ``mre``, ``MRE_HOME`` and ``MRE_CONTACT`` as they are set now, and a minute (and hour, in
the small hours) drawn from this installation's path, so repeated calls agree while different
users do not all reach LiveRC at 03:00. Nothing is installed; the README says how.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schedule", help="print a crontab line and systemd units that run `mre sync` nightly",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minute", type=int, help="minute past the hour (default: drawn from this installation)")
    p.add_argument("--hour", type=int, help="hour of the day, local time (default: drawn, between 1 and 5)")
    p.add_argument("--format", choices=("all", "cron", "systemd"), default="all", help="what to print")
    p.set_defaults(func=run)


def mre_executable() -> Path:
    """The absolute path of the ``mre`` that runs now (the venv's script beside this interpreter)."""
    beside = Path(sys.executable).with_name("mre")
    if beside.exists():
        return beside.absolute()
    found = shutil.which("mre")
    return Path(found).absolute() if found else beside.absolute()


def drawn_time(seed: str) -> tuple[int, int]:
    """A (hour, minute) between 01:00 and 05:59 drawn from ``seed``, the same every call."""
    n = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big")
    return 1 + (n // 60) % 5, n % 60


def run(args: argparse.Namespace) -> int:
    from mre_crawler.cli import UsageError
    from mre_crawler.db import mre_home

    if args.minute is not None and not 0 <= args.minute <= 59:
        raise UsageError("--minute must be 0–59")
    if args.hour is not None and not 0 <= args.hour <= 23:
        raise UsageError("--hour must be 0–23")
    exe = mre_executable()
    home = mre_home().absolute()
    contact = os.environ.get("MRE_CONTACT", "").strip()
    hour, minute = drawn_time(f"{exe}|{home}")
    hour = args.hour if args.hour is not None else hour
    minute = args.minute if args.minute is not None else minute
    log = home / "sync.log"
    env = {"MRE_HOME": str(home)}
    if contact:
        env["MRE_CONTACT"] = contact
    for name in ("MRE_DATABASE_URL", "MRE_WAREHOUSE_PATH", "MRE_SYNC_PARQUET_DIR"):
        if os.environ.get(name, "").strip():
            env[name] = os.environ[name].strip()
    if not contact:
        print("mre schedule: note: MRE_CONTACT is not set; set it (email or URL) and run this again so "
              "LiveRC can reach you about your crawler", file=sys.stderr)
    assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    if args.format in ("all", "cron"):
        if args.format == "all":
            print(f"# crontab (crontab -e): mre sync every night at {hour:02d}:{minute:02d}")
        print(f"{minute} {hour} * * *  {assigns} {shlex.quote(str(exe))} sync >> {shlex.quote(str(log))} 2>&1")
    if args.format in ("all", "systemd"):
        if args.format == "all":
            print("\n# ~/.config/systemd/user/mre-sync.service")
        print("[Unit]\nDescription=MRE: sync followed LiveRC tracks\n"
              "Wants=network-online.target\nAfter=network-online.target\n\n[Service]\nType=oneshot")
        for k, v in env.items():
            print(f'Environment="{k}={v}"')
        print(f"ExecStart={exe} sync\nNice=10")
        if args.format == "all":
            print("\n# ~/.config/systemd/user/mre-sync.timer")
        else:
            print("\n---")
        print(f"[Unit]\nDescription=MRE: nightly sync\n\n[Timer]\nOnCalendar=*-*-* {hour:02d}:{minute:02d}:00\n"
              "RandomizedDelaySec=10min\nPersistent=true\n\n[Install]\nWantedBy=timers.target")
        if args.format == "all":
            print("\n# then: systemctl --user daemon-reload && systemctl --user enable --now mre-sync.timer")
    return 0
