"""Write docs/RELIABILITY.md from a real run of the reliability tests.

    python tools/reliability_report.py            # run tests/reliability, write the file
    python tools/reliability_report.py --from-json run.json   # render a saved run instead
    python tools/reliability_report.py --check    # is the file current? (CI runs this)

The tests in tests/reliability/ record, at run time, each fault or bad input they produced, how,
and what they observed (see tests/reliability/recorder.py); the record is written as JSON only
when ROOM_MODERATOR_RELIABILITY_JSON names a file, which this script sets. The table is therefore
never typed by hand: every cell comes from a test that just ran, and the test id says which.
Exits with pytest's status, so a failing run is noticed (its rows are marked, not hidden).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.reliability.recorder import RECORD_ENV, Observation, RunRecord  # noqa: E402

DEFAULT_OUTPUT = ROOT / "docs" / "RELIABILITY.md"
TESTS = "tests/reliability"
TESTED_PATHS = ("moderator", "tests", "tools", "main.py", "pyproject.toml")
COMMAND = "python tools/reliability_report.py"
SECTION_ORDER = ("Bad input", "Faults", "Crash recovery and reconciliation", "Secrets")
SECTION_INTRO = {
    "Bad input": "Each gets a clear message and changes nothing: no request, no journal row, "
    "no roster row (unless only Twilio can judge it, which the row says).",
    "Faults": "Through the real Session against the sandbox over HTTP, with a 10 ms heartbeat "
    "timer on the GUI thread: the app keeps running, stays responsive, says what is happening, "
    "recovers by itself, and the journal holds exactly one row per dial click.",
    "Crash recovery and reconciliation": "The app killed with SIGKILL (a separate process on a "
    "real journal) and restarted; a create-call whose answer was lost is looked up, never "
    "re-sent.",
    "Secrets": "The auth token and API key secret stay in the OS keyring.",
}


def run_tests(record: Path, extra: Sequence[str]) -> int:
    """Run the reliability tests with the recorder switched on; pytest's exit status."""
    env = dict(os.environ)
    env[RECORD_ENV] = str(record)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    command = [sys.executable, "-m", "pytest", TESTS, "-q", "-p", "no:cacheprovider", *extra]
    print("$", " ".join(command), file=sys.stderr, flush=True)
    return subprocess.call(command, cwd=ROOT, env=env)


def git_revision() -> str:
    """Short commit id, with "+ local changes" when the tested code differs from it."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            # Only what the tests exercise: unrelated work in progress (bench/, docs/) is noise.
            ["git", "status", "--porcelain", "--untracked-files=no", "--", *TESTED_PATHS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"{sha} + local changes" if dirty else sha


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def test_cell(observation: Observation, results: dict[str, str]) -> str:
    path, _, name = observation.test_id.partition("::")
    short = f"`{Path(path).name}::{name}`"
    result = results.get(observation.test_id, "not run")
    return short if result == "passed" else f"{short} **{result.upper()}**"


def render(run: RunRecord, *, revision: str, when: str, status: int) -> str:
    results = run.results
    passed = sum(1 for r in results.values() if r == "passed")
    lines = [
        "# Reliability: every fault and bad input tried, and what happened",
        "",
        "<!-- Generated from a test run by tools/reliability_report.py. Do not edit by hand. -->",
        "",
        "Regenerate this file (it runs the tests) with:",
        "",
        "```sh",
        COMMAND,
        "```",
        "",
        f"Written from a run of `pytest {TESTS}` on {when} at {revision} "
        f"(Python {platform.python_version()}, {platform.system()}): {len(results)} tests, "
        f"{passed} passed" + ("." if status == 0 else f", pytest exit status {status}.") + " "
        "Every row is recorded by the test named in it while it ran, with the values it "
        "observed (indicator texts, messages, counts); the test asserts the outcome, this file "
        "only reports it.",
        "",
    ]
    sections = [s for s in SECTION_ORDER if any(o.section == s for o in run.observations)]
    sections += sorted({o.section for o in run.observations} - set(sections))
    for section in sections:
        lines += [f"## {section}", ""]
        if section in SECTION_INTRO:
            lines += [SECTION_INTRO[section], ""]
        lines += [
            "| Fault or bad input | How it was produced | Observed outcome | Test |",
            "| --- | --- | --- | --- |",
        ]
        for o in run.observations:
            if o.section == section:
                lines.append(
                    f"| {cell(o.case)} | {cell(o.produced_by)} | {cell(o.outcome)} | "
                    f"{test_cell(o, results)} |"
                )
        lines.append("")
    silent = sorted(t for t in results if not any(o.test_id == t for o in run.observations))
    if silent:
        lines += ["## Tests that recorded no observation", ""]
        lines += [f"- `{t}` ({results[t]})" for t in silent]
        lines.append("")
    return "\n".join(lines)


def check(path: Path) -> int:
    """0 if `path` was written at a commit whose tested code is HEAD's, else 1 (with why).

    The report names the commit it ran at; it is current when nothing it tested (TESTED_PATHS)
    changed between that commit and HEAD, so it can be committed right after the run. A clone
    without that commit (shallow) cannot tell: it says so and passes.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    match = re.search(r" at ([0-9a-f]{7,40})( \+ local changes)? \(Python", text)
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if match is None:
        print(f"{rel} names no commit it was written at: run {COMMAND}", file=sys.stderr)
        return 1
    if match.group(2):
        print(f"{rel} was written from uncommitted code: run {COMMAND}", file=sys.stderr)
        return 1
    sha = match.group(1)

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)

    if git("cat-file", "-e", f"{sha}^{{commit}}").returncode != 0:
        print(f"warning: {rel} names {sha}, not in this clone; not checked", file=sys.stderr)
        return 0
    changed = git("diff", "--name-only", sha, "HEAD", "--", *TESTED_PATHS).stdout.split()
    if changed:
        listed = ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "")
        print(
            f"{rel} describes {sha}, but {len(changed)} tested file(s) changed since "
            f"({listed}): run {COMMAND} and commit it",
            file=sys.stderr,
        )
        return 1
    print(f"{rel} is current (written at {sha})", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown to write")
    parser.add_argument(
        "--from-json", type=Path, help="render a run saved earlier instead of running the tests"
    )
    parser.add_argument(
        "--keep-json", type=Path, help="also keep the run's JSON record at this path"
    )
    parser.add_argument(
        "--check", action="store_true", help="only check that the file is current (exit 1 if not)"
    )
    args, pytest_args = parser.parse_known_args(argv)
    if args.check:
        return check(args.output)
    status = 0
    if args.from_json is not None:
        run = RunRecord.load(args.from_json)
        status = 0 if all(r == "passed" for r in run.results.values()) else 1
    else:
        with tempfile.TemporaryDirectory() as folder:
            record = Path(folder) / "reliability.json"
            status = run_tests(record, pytest_args)
            if not record.exists():
                print("the test run wrote no record; nothing rendered", file=sys.stderr)
                return status or 1
            run = RunRecord.load(record)
            if args.keep_json is not None:
                args.keep_json.write_text(record.read_text(encoding="utf-8"), encoding="utf-8")
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = render(run, revision=git_revision(), when=when, status=status)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(run.observations)} rows)", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
