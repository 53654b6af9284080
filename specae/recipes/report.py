"""Stages 6 and 7: the listening page (``OUT/listen/``) and the report (``OUT/report/``).

The report is ``README.md``: the command lines that made each stage, the data, the model,
the test-set table (every system: the autoencoder, the ceiling, the baselines; units and
bitrates), the per-band LSD plot, the training curve and the config; plus the PNGs and a copy
of the config beside it.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import yaml

from specae import __version__
from specae.coder import load_model
from specae.commands.listen_cmd import build_utterances
from specae.device import resolve_device
from specae.errors import SpecaeError
from specae.evaluation import LABELS, UNITS
from specae.fileio import atomic_path
from specae.recipes.evaluate import systems, test_files
from specae.recipes.prepare import describe
from specae.recipes.run import Run
from specae.recipes.stamps import read_stamps
from specae.report import write_listening_page

TABLE_KEYS = ("bits_per_patch", "kbps", "actual_kbps", "lsd_db", "wave_lsd_db", "mcd_db", "pesq", "stoi")


def stage_listen(run: Run) -> None:
    coder = load_model(run.model_path, resolve_device(run.device))
    files = test_files(run, run.config.recipe.listen_files)
    utts = build_utterances(systems(run, coder), files)
    index = write_listening_page(utts, run.out / "listen", title=f"specae {run.corpus.NAME} recipe: held-out "
                                 f"test speech", force=True)
    print(f"  {index}: {len(utts)} utterance(s) x {len(utts[0].conditions)} conditions; open it in a browser")


def _fmt(key: str, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.0f}" if key == "bits_per_patch" else f"{value:.2f}"


def results_table(doc: dict) -> str:
    """Markdown table of the mean metrics per system (columns with any value)."""
    systems_ = doc["systems"]
    keys = [k for k in TABLE_KEYS if any(v.get(k) is not None for v in systems_.values())]
    head = "| system | " + " | ".join(f"{LABELS[k]} ({UNITS[k]})" for k in keys) + " |"
    lines = [head, "|---" * (len(keys) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(_fmt(k, vals.get(k)) for k in keys) + " |"
              for name, vals in systems_.items()]
    return "\n".join(lines)


def _figure(width: float = 6.4, height: float = 3.2):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def plot_per_band(doc: dict, path: Path) -> bool:
    """Per-band spectrogram LSD of each coder (the ceiling, 0 dB here, left out)."""
    curves = {k: v for k, v in doc.get("per_band_lsd_db", {}).items() if any(x > 0 for x in v)}
    if not curves:
        return False
    fig, ax = _figure()
    hz = doc["band_hz"]
    for name, values in curves.items():
        ax.plot([h / 1000 for h in hz], values, label=name, linewidth=1.2)
    ax.set_xlabel("frequency (kHz)")
    ax.set_ylabel("LSD (dB)")
    ax.set_title(f"per-band spectrogram LSD, test set ({doc['n_files']} files)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path, force=True) as tmp:
        fig.savefig(tmp, format="png")
    return True


def plot_training(log_path: Path, path: Path) -> bool:
    """Validation LSD (hard codes) and training loss per fine-tuning epoch."""
    if not log_path.exists():
        return False
    fine = [e for e in map(json.loads, filter(str.strip, log_path.read_text().splitlines()))
            if e.get("phase") == "finetune"]
    if not fine:
        return False
    fig, ax = _figure()
    epochs = [e["epoch"] for e in fine]
    ax.plot(epochs, [e["val_lsd_db"] for e in fine], "o-", label="validation LSD (dB, hard codes)")
    ax.set_xlabel("fine-tuning epoch")
    ax.set_ylabel("LSD (dB)")
    ax2 = ax.twinx()
    ax2.plot(epochs, [e["train_loss"] for e in fine], "s--", color="tab:orange", label="training loss")
    ax2.set_ylabel("training loss (normalised MSE)")
    ax.grid(alpha=0.3)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper right")
    fig.tight_layout()
    with atomic_path(path, force=True) as tmp:
        fig.savefig(tmp, format="png")
    return True


def _commands(run: Run) -> list[str]:
    stamps = read_stamps(run.done_dir)
    seen: dict[str, list[int]] = {}
    for n in sorted(stamps):
        seen.setdefault(stamps[n].get("command") or "?", []).append(n)
    if run.command:
        seen.setdefault(run.command, []).append(7)
    return [f"# stage(s) {', '.join(map(str, ns))}\n{cmd}" for cmd, ns in seen.items()]


def stage_report(run: Run) -> None:
    eval_json = run.out / "eval" / "test.json"
    if not eval_json.is_file():
        raise SpecaeError(f"{eval_json}: missing: run stage 5 (eval) first")
    doc = json.loads(eval_json.read_text())
    out = run.out / "report"
    out.mkdir(parents=True, exist_ok=True)
    coder = load_model(run.model_path)
    config = run.config.to_dict()
    with atomic_path(out / "config.yaml", force=True) as tmp:
        tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    m, f = coder.model_config, coder.features
    widths = "-".join(map(str, [m.patch_frames * f.n_bins, *m.hidden, m.code_units]))
    parts = [
        f"# specae recipe report: {run.corpus.NAME}",
        f"Written {time.strftime('%Y-%m-%d %H:%M')} by specae {__version__}. Everything below is in "
        f"`{run.out}`.",
        "## Command lines\n\n```sh\n" + "\n".join(_commands(run)) + "\n```",
        "## Data\n\n| split | size |\n|---|---|\n" + "\n".join(
            f"| {s} | {describe(run.items(s))} |" for s in ("train", "dev", "test")),
        "## Model\n\n"
        f"{f.kind} {f.n_bins} bins at {f.sample_rate} Hz (hop {f.hop_length}); {m.patch_frames}-frame "
        f"patches every {m.patch_hop} frame(s); encoder {widths} ({m.activation}); {m.code_bits} {m.code} "
        f"bits per patch = {coder.nominal_kbps:.2f} kbit/s nominal; {run.config.train.pretrain} pretraining; "
        f"{coder.info.get('epochs')} fine-tuning epochs, best validation LSD "
        f"{coder.info.get('best_val_lsd_db', float('nan')):.2f} dB (hard codes); fingerprint "
        f"`{coder.fingerprint[:12]}` (`exp/model.pt`).",
        f"## Results on the test split ({doc['n_files']} files)\n\n"
        "Means over the files. LSD spec: decoded spectrogram vs the original's (before inversion); "
        f"LSD wave and MCD: waveforms after inversion on the fixed {doc['analysis']} analysis; `resynth` is "
        "the no-coding inversion ceiling. Per file: `eval/test.json`, `eval/test.rows.jsonl`.\n\n"
        + results_table(doc),
    ]
    if plot_per_band(doc, out / "per_band_lsd.png"):
        parts.append("![per-band LSD](per_band_lsd.png)")
    if (run.out / "eval" / "over_time.png").exists():
        shutil.copyfile(run.out / "eval" / "over_time.png", out / "over_time.png")
        parts.append("Error over time in the first test file (silent frames left out):\n\n"
                     "![error over time](over_time.png)")
    if plot_training(run.exp / "train_log.jsonl", out / "training.png"):
        parts.append("## Training\n\n![training curve](training.png)\n\nPer epoch: `exp/train_log.jsonl`.")
    if (run.out / "listen" / "index.html").exists():
        parts.append("## Listening page\n\n[listen/index.html](../listen/index.html): the original, the "
                     "autoencoder, the ceiling and the baselines side by side, with a blind MUSHRA-style "
                     "mode.")
    parts.append("## Config\n\n```yaml\n" + yaml.safe_dump(config, sort_keys=False) + "```")
    with atomic_path(out / "README.md", force=True) as tmp:
        tmp.write_text("\n\n".join(parts) + "\n")
    print(f"  {out / 'README.md'}")
