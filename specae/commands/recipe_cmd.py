"""``specae recipe CORPUS --corpus-dir DIR --out-dir DIR``: a corpus recipe in seven stages.

1 prepare manifests from your local copy of the corpus (no downloads); 2 features and
normaliser statistics; 3 layer-wise pretraining; 4 fine-tuning; 5 evaluation on the test
split with the baselines; 6 listening page; 7 report. A finished stage leaves a stamp in
OUT/.done/ and is skipped when run again; an interrupted one resumes. ``recipes/<corpus>/
run.sh`` calls this with the corpus's conf/default.yaml; recipes/README.md has the details.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from specae.errors import SpecaeError
from specae.recipes.corpora import CORPORA


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recipe", help="run a corpus recipe: prepare, features, train, eval, listen, report",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", choices=sorted(CORPORA), help="which corpus")
    p.add_argument("--corpus-dir", metavar="DIR",
                   help="your local copy of the corpus (default for codec2: /usr/share/codec2, for "
                   "sample: data/sample)")
    p.add_argument("--out-dir", required=True, metavar="DIR", help="where everything goes")
    p.add_argument("--stage", type=int, default=1, metavar="N", help="first stage to run (default 1)")
    p.add_argument("--stop-stage", type=int, default=7, metavar="M", help="last stage to run (default 7)")
    p.add_argument("--config", metavar="YAML",
                   help="features/model/train/recipe sections (e.g. conf/default.yaml)")
    p.add_argument("--recipe-dir", metavar="DIR",
                   help="the recipes/<corpus> folder: --config may be relative to it, and its "
                   "conf/default.yaml is the default config")
    p.add_argument("--nj", type=int, default=1, metavar="N", help="stage 1-2 worker processes (default 1)")
    g = p.add_argument_group("stage 4 on several processes, GPUs or nodes (torchrun)")
    g.add_argument("--ngpu", type=int, default=0, metavar="N",
                   help="processes per node, one per GPU; CPU processes (gloo) without GPUs (default 0: "
                   "this process alone)")
    g.add_argument("--nnodes", type=int, default=1, metavar="N", help="nodes (default 1)")
    g.add_argument("--node-rank", type=int, metavar="R", help="this node's rank (static rendezvous only)")
    g.add_argument("--rdzv-endpoint", metavar="HOST:PORT", help="rendezvous address every node can reach")
    g.add_argument("--rdzv-id", default="specae", metavar="ID", help="job id shared by the nodes")
    g.add_argument("--rdzv-backend", default="c10d", help="torchrun rendezvous backend (default c10d)")
    p.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda (default auto)")
    p.add_argument("-f", "--force", action="store_true", help="redo the selected stages even if done")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _config_path(args: argparse.Namespace) -> Path | None:
    recipe_dir = Path(args.recipe_dir) if args.recipe_dir else None
    if args.config:
        path = Path(args.config)
        if not path.exists() and recipe_dir is not None and (recipe_dir / path).exists():
            path = recipe_dir / path
        if not path.is_file():
            raise SpecaeError(f"{args.config}: no such config file")
        return path
    default = recipe_dir / "conf" / "default.yaml" if recipe_dir else None
    return default if default is not None and default.is_file() else None


def run(args: argparse.Namespace) -> int:
    from specae.recipes import Launch, Run, load_recipe_config, run_stages

    if args.nj < 1 or args.ngpu < 0 or args.nnodes < 1:
        raise SpecaeError("--nj and --nnodes must be >= 1, --ngpu >= 0")
    corpus = CORPORA[args.corpus]
    config = load_recipe_config(_config_path(args), corpus)
    command = os.environ.get("SPECAE_RECIPE_COMMAND") or shlex.join(["specae", *sys.argv[1:]])
    launch = Launch(args.ngpu, args.nnodes, args.node_rank, args.rdzv_endpoint, args.rdzv_id,
                    args.rdzv_backend)
    recipe = Run(corpus, Path(args.corpus_dir) if args.corpus_dir else None, Path(args.out_dir), config,
                 args.nj, launch, args.device, args.force, not args.no_progress, command)
    run_stages(recipe, args.stage, args.stop_stage)
    return 0
