"""The seven stages and the runner: each stage runs once, leaves a stamp, and is skipped
when its stamp is there (``--force`` redoes it); running a stage clears the stamps of the
stages after it, whose inputs it remakes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from specae.errors import SpecaeError
from specae.fileio import atomic_path
from specae.recipes.evaluate import stage_eval
from specae.recipes.features import stage_features
from specae.recipes.prepare import stage_prepare
from specae.recipes.report import stage_listen, stage_report
from specae.recipes.run import Run
from specae.recipes.stamps import clear_from, read_stamps, write_stamp
from specae.recipes.training import stage_finetune, stage_pretrain


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    needs: tuple[int, ...]
    run: Callable[[Run], None]
    what: str


STAGES = (
    Stage(1, "prepare", (), stage_prepare, "manifests of the train / dev / test splits"),
    Stage(2, "features", (1,), stage_features, "feature cache and normaliser statistics"),
    Stage(3, "pretrain", (2,), stage_pretrain, "layer-wise pretraining"),
    Stage(4, "finetune", (3,), stage_finetune, "fine-tuning"),
    Stage(5, "eval", (4,), stage_eval, "evaluation on the test split with the baselines"),
    Stage(6, "listen", (4,), stage_listen, "listening page"),
    Stage(7, "report", (5,), stage_report, "report"),
)
LAST = len(STAGES)


def _check_config(run: Run) -> None:
    """``OUT/config.yaml`` is written by the first run; a later run must use the same."""
    path = run.out / "config.yaml"
    current = run.config.to_dict()
    if path.exists() and not run.force:
        saved = yaml.safe_load(path.read_text()) or {}
        diff = [f"{s}.{k}" for s in current for k in current[s]
                if (saved.get(s) or {}).get(k) != current[s][k]]
        if diff:
            raise SpecaeError(f"{path}: {run.out} was made with another config (differs in "
                              f"{', '.join(diff[:6])}): use another --out-dir, or --force to redo stages")
    with atomic_path(path, force=True) as tmp:
        tmp.write_text(yaml.safe_dump(current, sort_keys=False))


def run_stages(run: Run, first: int = 1, last: int = LAST) -> None:
    if not 1 <= first <= last <= LAST:
        raise SpecaeError(f"--stage {first} --stop-stage {last}: need 1 <= stage <= stop-stage <= {LAST}")
    run.out.mkdir(parents=True, exist_ok=True)
    _check_config(run)
    for stage in STAGES[first - 1:last]:
        done = read_stamps(run.done_dir)
        head = f"stage {stage.number} ({stage.name}: {stage.what})"
        if stage.number in done and not run.force:
            print(f"{head}: done already ({run.done_dir / str(stage.number)}), skipped")
            continue
        missing = [n for n in stage.needs if n not in done]
        if missing:
            need = STAGES[missing[0] - 1]
            raise SpecaeError(f"stage {stage.number} ({stage.name}) needs stage {need.number} ({need.name}) "
                              f"done first in {run.out}: run with --stage {need.number}")
        print(f"{head} ...", flush=True)
        clear_from(run.done_dir, stage.number)
        t0 = time.perf_counter()
        stage.run(run)
        seconds = time.perf_counter() - t0
        write_stamp(run.done_dir, stage.number, stage.name, seconds, run.command)
        print(f"stage {stage.number} ({stage.name}) done in {seconds:.0f} s", flush=True)
