"""One recipe run: the corpus, the output folder and its layout, the config, how to launch.

``OUT/`` holds ``config.yaml`` (every setting, written by the first run), ``data/{train,dev,
test}.jsonl`` (stage 1), ``exp/`` (the training folder of ``specae train``: ``cache/``,
``checkpoint.pt``, ``pretrained.pt``, ``model.pt``, ``baselines.pt``, ``train_log.jsonl``),
``eval/`` (stage 5), ``listen/`` (stage 6), ``report/`` (stage 7) and ``.done/<stage>``, the
stamp a finished stage leaves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from specae.errors import SpecaeError
from specae.manifest import Utterance, read_inputs
from specae.recipes.config import RecipeConfig


@dataclass
class Launch:
    """How stage 4 starts its processes: ``ngpu`` per node (0 or 1: this process alone) and
    torchrun's multi-node rendezvous."""

    ngpu: int = 0
    nnodes: int = 1
    node_rank: int | None = None
    rdzv_endpoint: str | None = None
    rdzv_id: str = "specae"
    rdzv_backend: str = "c10d"

    @property
    def distributed(self) -> bool:
        return self.ngpu > 1 or self.nnodes > 1

    def torchrun_args(self) -> list[str]:
        args = ["--nproc_per_node", str(max(self.ngpu, 1))]
        if self.nnodes == 1:
            return [*args, "--standalone"]
        if not self.rdzv_endpoint:
            raise SpecaeError("--nnodes > 1 needs --rdzv-endpoint HOST:PORT (a node all nodes can reach)")
        args += ["--nnodes", str(self.nnodes), "--rdzv-backend", self.rdzv_backend,
                 "--rdzv-endpoint", self.rdzv_endpoint, "--rdzv-id", self.rdzv_id]
        return args + (["--node-rank", str(self.node_rank)] if self.node_rank is not None else [])


@dataclass
class Run:
    corpus: ModuleType
    corpus_dir: Path | None
    out: Path
    config: RecipeConfig
    nj: int = 1
    launch: Launch = field(default_factory=Launch)
    device: str = "auto"
    force: bool = False
    progress: bool = True
    command: str = ""

    # -- layout ----------------------------------------------------------------------------
    def manifest(self, split: str) -> Path:
        return self.out / "data" / f"{split}.jsonl"

    @property
    def exp(self) -> Path:
        return self.out / "exp"

    @property
    def model_path(self) -> Path:
        return self.exp / "model.pt"

    @property
    def done_dir(self) -> Path:
        return self.out / ".done"

    def utterances(self, split: str) -> list[Utterance]:
        path = self.manifest(split)
        if not path.is_file():
            raise SpecaeError(f"{path}: missing: run stage 1 (prepare) first")
        return read_inputs([path])

    def items(self, split: str) -> list[dict]:
        """The manifest's lines as dicts (an empty list for an empty split)."""
        path = self.manifest(split)
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evenly(items: list, n: int | None) -> list:
    """``n`` items spread evenly over the list (all of them when ``n`` is None or larger)."""
    if n is None or n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]
