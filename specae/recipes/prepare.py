"""Stage 1: manifests ``OUT/data/{train,dev,test}.jsonl`` from the local copy of the corpus."""

from __future__ import annotations

import json
from pathlib import Path

from specae.errors import SpecaeError
from specae.fileio import atomic_path
from specae.recipes.corpora.base import Item, check_corpus_dir
from specae.recipes.run import Run


def write_manifest(path: Path, items: list[Item]) -> None:
    with atomic_path(path, force=True) as tmp:
        tmp.write_text("".join(json.dumps(i.to_json()) + "\n" for i in items))


def describe(items: list[dict]) -> str:
    """``N utterances, S speakers, D h`` (or min) of manifest lines."""
    speakers = {i.get("speaker") for i in items if i.get("speaker")}
    seconds = sum(i.get("duration") or 0.0 for i in items)
    length = f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"
    return f"{len(items)} utterances, {len(speakers)} speakers, {length}"


def stage_prepare(run: Run) -> None:
    given = run.corpus_dir or getattr(run.corpus, "DEFAULT_DIR", None)
    if given is None:
        raise SpecaeError(f"the {run.corpus.NAME} recipe needs --corpus-dir DIR (your local copy of the "
                          f"corpus)")
    corpus_dir = check_corpus_dir(given)
    work = run.out / "data" / "work"
    work.mkdir(parents=True, exist_ok=True)
    splits = run.corpus.prepare(corpus_dir, work, run.config.options, run.nj)
    for name, items in splits.items():
        if not items and name != "dev":
            raise SpecaeError(f"{corpus_dir}: the {name} split is empty")
        write_manifest(run.manifest(name), items)
        print(f"  {name}: {describe([i.to_json() for i in items])} -> {run.manifest(name)}")
