"""Stage 1 of every recipe on a tiny fake copy of its corpus in the corpus's real layout
(directory and file names, transcript files, NIST SPHERE for TIMIT, FLAC for LibriSpeech and
VCTK 0.92), made here: the manifests hold the expected utterances in the expected splits. A
directory that is not the corpus gets one clear error line."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from specae import audio
from specae.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _audio(path: Path, rate: int = 16000, fmt: str | None = None, seconds: float = 0.2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(rate * seconds)) / rate
    wave = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    sf.write(str(path), wave, rate, format=fmt or path.suffix[1:].upper(), subtype="PCM_16")


def _stage1(capsys, corpus: str, corpus_dir: Path, out: Path, *extra: str) -> dict[str, list[dict]]:
    code = main(["recipe", corpus, "--corpus-dir", str(corpus_dir), "--out-dir", str(out), "--stop-stage",
                 "1", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return {s: [json.loads(x) for x in (out / "data" / f"{s}.jsonl").read_text().splitlines()]
            for s in ("train", "dev", "test")}


def _ids(split: list[dict]) -> list[str]:
    return [x["id"] for x in split]


# -- TIMIT -------------------------------------------------------------------------------------
TIMIT_SPEAKERS = {("TRAIN", "DR1", "FCJF0"), ("TRAIN", "DR2", "MKLS0"),  # train
                  ("TEST", "DR1", "FAKS0"),  # dev set (50 speakers)
                  ("TEST", "DR1", "MDAB0"), ("TEST", "DR4", "FJLM0"),  # core test set (24 speakers)
                  ("TEST", "DR3", "MZZZ0")}  # test speaker in neither: left out
TIMIT_UTTS = ("SA1", "SI1027", "SX127")


def _timit(top: Path, lower: bool = False, kaggle_copies: bool = False) -> Path:
    case = str.lower if lower else str
    for part, dr, spk in TIMIT_SPEAKERS:
        d = top / case(part) / case(dr) / case(spk)
        for utt in TIMIT_UTTS:
            _audio(d / case(f"{utt}.WAV"), fmt="NIST")  # NIST SPHERE, as the LDC ships it
            (d / case(f"{utt}.TXT")).write_text("0 3200 She had your dark suit in greasy wash water.\n")
            (d / case(f"{utt}.WRD")).write_text("0 1600 she\n1600 3200 had\n")
            (d / case(f"{utt}.PHN")).write_text("0 800 h#\n800 1600 sh\n1600 3200 iy\n")
            if kaggle_copies:
                _audio(d / f"{utt}.WAV.wav")
    return top


@pytest.mark.parametrize("layout", ["LDC upper case", "lower case", "data/ with converted copies"])
def test_timit_core_test_and_dev_sets(tmp_path, capsys, layout):
    corpus = tmp_path / "timit"
    if layout == "LDC upper case":
        _timit(corpus / "TIMIT")
    elif layout == "lower case":
        _timit(corpus, lower=True)
    else:
        _timit(corpus / "data", kaggle_copies=True)
    splits = _stage1(capsys, "timit", corpus, tmp_path / "out")
    assert _ids(splits["train"]) == ["FCJF0-SI1027", "FCJF0-SX127", "MKLS0-SI1027", "MKLS0-SX127"]
    assert _ids(splits["dev"]) == ["FAKS0-SI1027", "FAKS0-SX127"]
    assert _ids(splits["test"]) == ["FJLM0-SI1027", "FJLM0-SX127", "MDAB0-SI1027", "MDAB0-SX127"]
    first = splits["test"][0]
    assert first["speaker"] == "FJLM0" and first["text"].startswith("She had")
    assert Path(first["path"]).is_file() and not Path(first["path"]).is_symlink()
    assert Path(first["path"]).parent.name.upper() == "FJLM0"
    wave, rate = audio.load(first["path"])  # NIST SPHERE read by specae as it is
    assert rate == 16000 and wave.shape[0] == 3200


def test_timit_keep_sa(tmp_path, capsys):
    conf = tmp_path / "sa.yaml"
    conf.write_text("recipe:\n  corpus:\n    keep_sa: true\n")
    splits = _stage1(capsys, "timit", _timit(tmp_path / "TIMIT"), tmp_path / "out", "--config", str(conf))
    assert len(splits["train"]) == 6 and "FCJF0-SA1" in _ids(splits["train"])


# -- LibriSpeech -------------------------------------------------------------------------------
LIBRI = {"train-clean-100": [("19", "198"), ("26", "495")], "dev-clean": [("84", "121123")],
         "test-clean": [("61", "70968")], "train-clean-360": [("100", "121669")]}


@pytest.mark.parametrize("top", [True, False], ids=["LibriSpeech/", "no top folder"])
def test_librispeech_standard_parts(tmp_path, capsys, top):
    corpus = tmp_path / "libri"
    root = corpus / "LibriSpeech" if top else corpus
    for part, chapters in LIBRI.items():
        for spk, ch in chapters:
            d = root / part / spk / ch
            for n in range(2):
                _audio(d / f"{spk}-{ch}-{n:04d}.flac")
            (d / f"{spk}-{ch}.trans.txt").write_text(f"{spk}-{ch}-0000 HELLO WORLD\n"
                                                     f"{spk}-{ch}-0001 GOOD BYE\n")
    splits = _stage1(capsys, "librispeech", corpus, tmp_path / "out")
    assert _ids(splits["train"]) == ["19-198-0000", "19-198-0001", "26-495-0000", "26-495-0001"]
    assert _ids(splits["dev"]) == ["84-121123-0000", "84-121123-0001"]
    assert _ids(splits["test"]) == ["61-70968-0000", "61-70968-0001"]
    assert splits["test"][0]["speaker"] == "61" and splits["test"][0]["text"] == "HELLO WORLD"
    assert splits["train"][0]["path"].endswith("train-clean-100/19/198/19-198-0000.flac")
    assert splits["train"][0]["duration"] == pytest.approx(0.2)
    conf = tmp_path / "360.yaml"
    conf.write_text("recipe:\n  corpus:\n    train: [train-clean-100, train-clean-360]\n")
    more = _stage1(capsys, "librispeech", corpus, tmp_path / "out360", "--config", str(conf))
    assert len(more["train"]) == 6


# -- VCTK --------------------------------------------------------------------------------------
VCTK_SPEAKERS = ["p225", "p226", "p227", "p228"]  # p225: test, p226: dev, the others train


def _vctk(root: Path, version: str) -> None:
    info = ["ID  AGE  GENDER  ACCENTS  REGION" + ("  COMMENTS" if version == "0.92" else "")]
    for spk in VCTK_SPEAKERS:
        info.append(f"{spk if version == '0.92' else spk[1:]}  23  F    English    Southern  England")
        for n in (1, 2):
            utt = f"{spk}_{n:03d}"
            (root / "txt" / spk).mkdir(parents=True, exist_ok=True)
            (root / "txt" / spk / f"{utt}.txt").write_text("Please call Stella.\n")
            if version == "0.80":
                _audio(root / "wav48" / spk / f"{utt}.wav", 48000)
            else:
                for mic in ("mic1", "mic2"):
                    _audio(root / "wav48_silence_trimmed" / spk / f"{utt}_{mic}.flac", 48000)
    (root / "speaker-info.txt").write_text("\n".join(info) + "\n")


@pytest.mark.parametrize("version", ["0.80", "0.92"])
def test_vctk_speaker_held_out_splits(tmp_path, capsys, version):
    corpus = tmp_path / "vctk"
    _vctk(corpus / ("VCTK-Corpus" if version == "0.80" else "VCTK-Corpus-0.92"), version)
    splits = _stage1(capsys, "vctk", corpus, tmp_path / "out")
    suffix = "" if version == "0.80" else "_mic2"
    assert _ids(splits["test"]) == [f"p225_001{suffix}", f"p225_002{suffix}"]
    assert _ids(splits["dev"]) == [f"p226_001{suffix}", f"p226_002{suffix}"]
    assert {x["speaker"] for x in splits["train"]} == {"p227", "p228"} and len(splits["train"]) == 4
    assert splits["test"][0]["path"].endswith(".wav" if version == "0.80" else "p225_001_mic2.flac")
    if version == "0.92":
        conf = tmp_path / "mic1.yaml"
        conf.write_text("recipe:\n  corpus:\n    mic: mic1\n")
        mic1 = _stage1(capsys, "vctk", corpus, tmp_path / "out1", "--config", str(conf))
        assert mic1["test"][0]["path"].endswith("p225_001_mic1.flac")


# -- LJSpeech ----------------------------------------------------------------------------------
def test_ljspeech_held_out_id_groups(tmp_path, capsys):
    root = tmp_path / "lj" / "LJSpeech-1.1"
    ids = ["LJ001-0001", "LJ001-0002", "LJ002-0001", "LJ003-0001", "LJ004-0001", "LJ050-0278"]
    for uid in ids:
        _audio(root / "wavs" / f"{uid}.wav", 22050)
    (root / "metadata.csv").write_text("".join(f"{uid}|Printing, in the only sense.|Printing, in the only "
                                               f"sense.\n" for uid in ids))
    splits = _stage1(capsys, "ljspeech", tmp_path / "lj", tmp_path / "out")
    assert _ids(splits["test"]) == ["LJ001-0001", "LJ001-0002", "LJ002-0001"]
    assert _ids(splits["dev"]) == ["LJ003-0001"]
    assert _ids(splits["train"]) == ["LJ004-0001", "LJ050-0278"]
    assert {x["speaker"] for x in splits["train"]} == {"LJ"}


# -- CMU ARCTIC --------------------------------------------------------------------------------
def test_cmu_arctic_speaker_folders(tmp_path, capsys):
    corpus = tmp_path / "arctic"
    for spk in ("bdl", "slt", "jmk", "awb", "rms"):
        d = corpus / f"cmu_us_{spk}_arctic"
        for utt in ("arctic_a0001", "arctic_a0002"):
            _audio(d / "wav" / f"{utt}.wav")
        _audio(d / "orig" / "arctic_a0001.wav")  # another copy outside wav/: not an utterance
        (d / "etc").mkdir()
        (d / "etc" / "txt.done.data").write_text(
            '( arctic_a0001 "Author of the danger trail, Philip Steels, etc." )\n'
            '( arctic_a0002 "Not at this particular case, Tom, apologized Whittemore." )\n'
            '( arctic_b0001 "A line whose recording is missing." )\n')
    splits = _stage1(capsys, "cmu_arctic", corpus, tmp_path / "out")
    assert _ids(splits["test"]) == ["bdl-arctic_a0001", "bdl-arctic_a0002", "slt-arctic_a0001",
                                    "slt-arctic_a0002"]
    assert _ids(splits["dev"]) == ["jmk-arctic_a0001", "jmk-arctic_a0002"]
    assert {x["speaker"] for x in splits["train"]} == {"awb", "rms"} and len(splits["train"]) == 4
    assert "/wav/" in splits["train"][0]["path"] and splits["train"][0]["text"].startswith("Author")


# -- codec2-examples and the sample corpus (real copies) ------------------------------------------
def test_codec2_and_sample_scans(tmp_path, capsys, speech8k_paths):
    c2 = _stage1(capsys, "codec2", speech8k_paths[0].parents[1], tmp_path / "c2")
    assert _ids(c2["test"]) == ["hts1a", "hts2a", "morig", "forig"] and len(c2["train"]) == 7
    assert c2["dev"] == []
    sample = _stage1(capsys, "sample", ROOT / "data" / "sample", tmp_path / "sample")
    speakers = [{x["speaker"] for x in sample[s]} for s in ("train", "test")]
    assert len(speakers[0]) == 8 and len(speakers[1]) == 3 and not speakers[0] & speakers[1]


# -- not the corpus ----------------------------------------------------------------------------
@pytest.mark.parametrize("corpus,expected", [
    ("timit", "no TRAIN/ or TEST/ under {d}: is this TIMIT?"),
    ("librispeech", "no train-clean-100/ under {d}: is this LibriSpeech?"),
    ("vctk", "no wav48/ or wav48_silence_trimmed/ under {d}: is this VCTK?"),
    ("ljspeech", "no metadata.csv and wavs/ under {d}: is this LJSpeech 1.1?"),
    ("cmu_arctic", "no cmu_us_*_arctic/ folders under {d}: is this CMU ARCTIC?"),
    ("codec2", "no david4.wav under {d}: is this codec2-examples' speech?"),
    ("sample", "no train/ or test/ under {d}: is this the sample corpus?"),
])
def test_a_directory_that_is_not_the_corpus(tmp_path, capsys, corpus, expected):
    wrong = tmp_path / "not-it"
    _audio(wrong / "some" / "file.wav")
    code = main(["recipe", corpus, "--corpus-dir", str(wrong), "--out-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("specae: error: ") and err.count("\n") == 1, err
    assert expected.format(d=wrong) in err
    assert not (tmp_path / "out" / ".done" / "1").exists()


def test_missing_corpus_dir_and_missing_lhotse(tmp_path, capsys, monkeypatch):
    assert main(["recipe", "timit", "--out-dir", str(tmp_path / "o")]) == 2
    assert "needs --corpus-dir DIR" in capsys.readouterr().err
    assert main(["recipe", "timit", "--corpus-dir", str(tmp_path / "nope"), "--out-dir",
                 str(tmp_path / "o")]) == 2
    assert "no such directory" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "lhotse.recipes", None)  # as if lhotse were not installed
    assert main(["recipe", "timit", "--corpus-dir", str(_timit(tmp_path / "T")), "--out-dir",
                 str(tmp_path / "o2")]) == 2
    assert "pip install -e '.[recipes]'" in capsys.readouterr().err
