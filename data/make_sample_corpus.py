#!/usr/bin/env python3
"""Make specae's small offline sample corpus: synthetic speech rendered with espeak-ng.

    python data/make_sample_corpus.py [--out data/sample] [--force]

Everything is fixed (sentences, voices, espeak-ng speed/pitch/amplitude), so a rerun with the
same espeak-ng version gives the same audio. Each sentence is rendered to a 22050 Hz WAV by
espeak-ng, resampled to 16 kHz mono (soxr, HQ), trimmed to at most 100 ms of leading/trailing
silence, and written as 16-bit FLAC:

    <out>/<split>/<speaker>/<speaker>_<nn>.flac
    <out>/<split>.jsonl   one {"id", "path", "speaker", "text"} object a line, path relative to <out>

Splits are speaker-disjoint: ``train`` has 8 voices, ``test`` 3 other voices (which also read
sentences that no train voice reads). The level espeak-ng gives is kept unless the resampled
signal would clip, in which case that file is scaled to a -1 dBFS peak.

Needs espeak-ng on PATH (``apt-get install -y espeak-ng``), numpy, soundfile and soxr.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SR = 16000
TRIM_KEEP_S = 0.100  # silence kept before the first and after the last active 10 ms frame
SILENCE_DBFS = -50.0  # a 10 ms frame below this RMS counts as silence
CLIP_PEAK = 1.0  # resampled peaks at or above this would clip in 16-bit
RESCALE_PEAK_DBFS = -1.0

# Harvard sentences (IEEE 1969 "Recommended practice for speech quality measurements"),
# lists 1-5; public domain. Lists 1-4 are read in train, list 5 only in test.
HARVARD = [
    # list 1
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    # list 2
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.",
    "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.",
    "The girl at the booth sold fifty bonds.",
    # list 3
    "The small pup gnawed a hole in the sock.",
    "The fish twisted and turned on the bent hook.",
    "Press the pants and sew a button on the vest.",
    "The swan dive was far short of perfect.",
    "The beauty of the view stunned the young boy.",
    "Two blue fish swam in the tank.",
    "Her purse was full of useless trash.",
    "The colt reared and threw the tall rider.",
    "It snowed, rained, and hailed the same morning.",
    "Read verse out loud for pleasure.",
    # list 4
    "Hoist the load to your left shoulder.",
    "Take the winding path to reach the lake.",
    "Note closely the size of the gas tank.",
    "Wipe the grease off his dirty face.",
    "Mend the coat before you go out.",
    "The wrist was badly strained and hung limp.",
    "The stray cat gave birth to kittens.",
    "The young girl gave no clear response.",
    "The meal was cooked before the bell rang.",
    "What joy there is in living.",
    # list 5 (test only)
    "A king ruled the state in the early days.",
    "The ship was torn apart on the sharp reef.",
    "Sickness kept him home the third week.",
    "The wide road shimmered in the hot sun.",
    "The lazy cow lay in the cool grass.",
    "Lift the square stone over the fence.",
    "The rope will bind the seven books at once.",
    "Hop over the fence and plunge in.",
    "The friendly gang left the drug store.",
    "Mesh wire keeps chicks inside.",
]
EN_TRAIN = HARVARD[:40]
EN_TEST = HARVARD[40:]

# Free translations of Harvard sentences, written for this corpus.
GERMAN = [
    "Das Kanu aus Birkenrinde glitt über die glatten Planken.",
    "Klebe das Blatt auf den dunkelblauen Hintergrund.",
    "Man sieht leicht, wie tief ein Brunnen ist.",
    "Reis wird oft in runden Schalen serviert.",
    "Der Saft von Zitronen ergibt einen feinen Punsch.",
    "Die Kiste wurde neben den parkenden Lastwagen geworfen.",
    "Vier Stunden stetiger Arbeit lagen vor uns.",
    "Der Junge war da, als die Sonne aufging.",
    "Eine Kanne Tee hilft, den Abend zu verbringen.",
    "Die salzige Brise kam vom Meer herüber.",
    "Das Mädchen am Stand verkaufte fünfzig Anleihen.",
    "Zwei blaue Fische schwammen im Becken.",
    "Lies Verse laut zum Vergnügen.",
]
FRENCH = [
    "Le canot en bouleau glissait sur les planches lisses.",
    "Colle la feuille sur le fond bleu foncé.",
    "Il est facile de connaître la profondeur d'un puits.",
    "Le riz est souvent servi dans des bols ronds.",
    "Le jus de citron fait un bon punch.",
    "La boîte a été jetée à côté du camion garé.",
    "Quatre heures de travail régulier nous attendaient.",
    "Le garçon était là quand le soleil s'est levé.",
    "Une théière aide à passer la soirée.",
    "La brise salée venait de la mer.",
    "La fille du stand a vendu cinquante bons.",
    "Deux poissons bleus nageaient dans le bassin.",
    "Lis des vers à voix haute pour le plaisir.",
]
SPANISH = [
    "La canoa de abedul se deslizó sobre las tablas lisas.",
    "Pega la hoja sobre el fondo azul oscuro.",
    "Es fácil saber la profundidad de un pozo.",
    "El arroz se sirve a menudo en cuencos redondos.",
    "El jugo de limón hace un buen ponche.",
    "La caja fue lanzada junto al camión aparcado.",
    "Cuatro horas de trabajo constante nos esperaban.",
    "El niño estaba allí cuando salió el sol.",
    "Una tetera ayuda a pasar la tarde.",
    "La brisa salada llegaba desde el mar.",
    "La chica del puesto vendió cincuenta bonos.",
    "Dos peces azules nadaban en el tanque.",
    "Lee versos en voz alta por placer.",
]
ITALIAN = [  # test only; translations of Harvard list 5
    "Un re governava lo stato nei primi tempi.",
    "La nave si squarciò sulla scogliera tagliente.",
    "La malattia lo tenne a casa la terza settimana.",
    "La strada larga luccicava sotto il sole caldo.",
    "La mucca pigra giaceva nell'erba fresca.",
    "Solleva la pietra quadrata sopra il recinto.",
    "La corda legherà i sette libri insieme.",
]


@dataclass(frozen=True)
class Speaker:
    voice: str  # espeak-ng voice+variant, e.g. "en-us+m1"
    speed: int  # -s, words per minute
    pitch: int  # -p, 0-99
    amplitude: int  # -a, 0-200
    texts: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.voice.replace("+", "-")


def _rotate(sentences: list[str], start: int, n: int) -> tuple[str, ...]:
    return tuple(sentences[(start + i) % len(sentences)] for i in range(n))


N_TRAIN_EN = 13  # sentences per English train voice (5 voices x 13 cover all 40, with overlap)
N_TEST = 7  # sentences per test voice

SPLITS: dict[str, list[Speaker]] = {
    "train": [
        Speaker("en-us+m1", 165, 45, 100, _rotate(EN_TRAIN, 0, N_TRAIN_EN)),
        Speaker("en-us+f2", 160, 62, 90, _rotate(EN_TRAIN, 8, N_TRAIN_EN)),
        Speaker("en-gb-x-rp+m3", 155, 38, 100, _rotate(EN_TRAIN, 16, N_TRAIN_EN)),
        Speaker("en-gb+f4", 170, 55, 95, _rotate(EN_TRAIN, 24, N_TRAIN_EN)),
        Speaker("en-029+m6", 160, 50, 85, _rotate(EN_TRAIN, 32, N_TRAIN_EN)),
        Speaker("de+m2", 160, 45, 100, tuple(GERMAN)),
        Speaker("fr-fr+f1", 165, 58, 90, tuple(FRENCH)),
        Speaker("es+f3", 170, 60, 95, tuple(SPANISH)),
    ],
    "test": [
        Speaker("en-gb-scotland+m5", 160, 42, 100, _rotate(EN_TEST, 0, N_TEST)),
        Speaker("en-us-nyc+f5", 165, 60, 90, _rotate(EN_TEST, 5, N_TEST)),
        Speaker("it+m7", 160, 48, 100, tuple(ITALIAN[:N_TEST])),
    ],
}


def fail(msg: str) -> None:
    sys.exit(f"make_sample_corpus: error: {msg}")


def espeak_version(exe: str) -> str:
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    # "eSpeak NG text-to-speech: 1.51  Data at: ..."
    return out.split(":", 1)[1].split("Data at")[0].strip() if ":" in out else out.strip()


def render(exe: str, spk: Speaker, text: str, wav: Path):
    import soundfile as sf

    cmd = [exe, "-v", spk.voice, "-s", str(spk.speed), "-p", str(spk.pitch), "-a", str(spk.amplitude),
           "-w", str(wav), text]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0 or not wav.exists():
        fail(f"espeak-ng failed for voice {spk.voice!r}: {(res.stderr or res.stdout).strip()}")
    x, sr = sf.read(wav, dtype="int16", always_2d=True)
    return x[:, 0], sr


def to_16k(x_int16, sr: int):
    """Resample to 16 kHz and trim silence beyond TRIM_KEEP_S; returns (float32 signal, flags)."""
    import numpy as np
    import soxr

    flags = []
    if np.abs(x_int16.astype(np.int32)).max() >= 32767:
        flags.append("espeak-clipped")
    y = soxr.resample(x_int16.astype(np.float32) / 32768.0, sr, SR, quality="HQ").astype(np.float32)
    hop = SR // 100
    n = len(y) // hop
    rms = np.sqrt(np.mean(y[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1) + 1e-20)
    active = np.nonzero(20 * np.log10(rms) > SILENCE_DBFS)[0]
    if len(active) == 0:
        raise ValueError("silent output")
    keep = int(round(TRIM_KEEP_S * SR))
    start = max(0, active[0] * hop - keep)
    end = min(len(y), (active[-1] + 1) * hop + keep)
    y = y[start:end]
    peak = float(np.abs(y).max())
    if peak >= CLIP_PEAK:
        y = y * (10 ** (RESCALE_PEAK_DBFS / 20) / peak)
        flags.append("rescaled")
    return y, flags


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "sample",
                    help="output directory (default: data/sample next to this script)")
    ap.add_argument("--force", action="store_true", help="replace an existing corpus in --out")
    args = ap.parse_args(argv)

    exe = shutil.which("espeak-ng")
    if exe is None:
        fail("espeak-ng not found on PATH; install it with `apt-get install -y espeak-ng`")
    try:
        import numpy  # noqa: F401
        import soundfile as sf
        import soxr  # noqa: F401
    except ImportError as e:
        fail(f"missing Python package {e.name!r} (pip install numpy soundfile soxr)")

    out: Path = args.out
    ours = [out / s for s in SPLITS] + [out / f"{s}.jsonl" for s in SPLITS]
    existing = [p for p in ours if p.exists()]
    if existing and not args.force:
        fail(f"{existing[0]} already exists; rerun with --force to replace the corpus")
    for p in existing:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    out.mkdir(parents=True, exist_ok=True)

    version = espeak_version(exe)
    print(f"espeak-ng {version}: writing {out}")
    total_bytes = 0
    n_flagged = {}
    with tempfile.TemporaryDirectory(prefix="specae_espeak_") as tmp:
        wav = Path(tmp) / "utt.wav"
        for split, speakers in SPLITS.items():
            rows, seconds, split_bytes = [], 0.0, 0
            for spk in speakers:
                d = out / split / spk.name
                d.mkdir(parents=True, exist_ok=True)
                for i, text in enumerate(spk.texts, 1):
                    uid = f"{spk.name}_{i:02d}"
                    x, sr = render(exe, spk, text, wav)
                    try:
                        y, flags = to_16k(x, sr)
                    except ValueError as e:
                        fail(f"{uid}: {e} from espeak-ng voice {spk.voice!r}")
                    for f in flags:
                        n_flagged[f] = n_flagged.get(f, 0) + 1
                    path = d / f"{uid}.flac"
                    sf.write(path, y, SR, format="FLAC", subtype="PCM_16", compression_level=1.0)
                    seconds += len(y) / SR
                    split_bytes += path.stat().st_size
                    rows.append({"id": uid, "path": path.relative_to(out).as_posix(),
                                 "speaker": spk.name, "text": text})
            with open(out / f"{split}.jsonl", "w", encoding="utf-8") as fh:
                for r in rows:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            total_bytes += split_bytes
            print(f"  {split:5s}: {len(rows):3d} files, {len(speakers)} speakers, "
                  f"{seconds / 60:.2f} min, {split_bytes / 1e6:.2f} MB  "
                  f"({', '.join(s.name for s in speakers)})")
    if n_flagged:
        print("  note: " + ", ".join(f"{n} file(s) {k}" for k, n in sorted(n_flagged.items())))
    print(f"  total: {total_bytes / 1e6:.2f} MB of FLAC")
    return 0


if __name__ == "__main__":
    sys.exit(main())
