"""The static listening page: files, links, blinding, seeded order, and a real headless Chromium run."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import struct
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import torch

from specae.errors import SpecaeError
from specae.report import Condition, Utterance, _trial_order, spectrogram_png, write_listening_page

SR = 16000
CODERS = ("ae", "resynth", "subband-vq")
CHROMIUM = os.environ.get("SPECAE_CHROMIUM", "/usr/bin/chromium")
HIDDEN = "['browse', 'rate'].map((id) => document.getElementById(id).hidden)"


def make_utterances(ids=("utt1", "utt2"), seconds: float = 0.5) -> list[Utterance]:
    """Per utterance: a sine-plus-noise reference and three noisier 'coded' versions."""
    gen = torch.Generator().manual_seed(0)
    n = int(seconds * SR)
    t = torch.arange(n) / SR
    out = []
    for k, utt_id in enumerate(ids):
        ref = 0.3 * torch.sin(2 * torch.pi * (300 + 100 * k) * t) + 0.02 * torch.randn(n, generator=gen)
        conds = [Condition("reference", ref, SR)]
        for i, name in enumerate(CODERS):
            noisy = ref + 0.05 * (i + 1) * torch.randn(n, generator=gen)
            conds.append(Condition(name, noisy, SR, kbps=2.0 * (i + 1),
                                   metrics={"lsd_db": 5.1 + i, "pesq": 2.3, "stoi": None}))
        out.append(Utterance(utt_id, conds))
    return out


class _Links(HTMLParser):
    """Collect src of audio/img, per rating trial too."""

    def __init__(self):
        super().__init__()
        self.srcs: list[str] = []
        self.trials: list[dict] = []  # {"ref": src, "stimuli": {label: src}}
        self._buttons: dict[str, str] = {}  # audio id -> button text (label)
        self._button = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("audio", "img"):
            self.srcs.append(a["src"])
        if tag == "section" and "trial" in (a.get("class") or "").split():
            self.trials.append({"ref": None, "stimuli": {}})
        if tag == "button" and a.get("data-audio"):
            self._button = a["data-audio"]
        if tag == "audio" and self.trials and a.get("id", "").startswith("t"):
            label = self._buttons[a["id"]]
            if label == "Reference":
                self.trials[-1]["ref"] = a["src"]
            else:
                self.trials[-1]["stimuli"][label] = a["src"]

    def handle_data(self, data):
        if self._button:
            self._buttons[self._button] = data.strip()
            self._button = None


def parse(index: Path) -> _Links:
    links = _Links()
    links.feed(index.read_text(encoding="utf-8"))
    return links


def embedded_data(index: Path) -> dict:
    match = re.search(r"^const SPECAE = (.*);$", index.read_text(encoding="utf-8"), re.M)
    assert match, "no SPECAE data in the page"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    return write_listening_page(make_utterances(), tmp_path_factory.mktemp("listen") / "page", seed=0)


def test_files_exist_for_every_condition(page):
    assert page.name == "index.html" and page.is_file()
    for utt in ("utt1", "utt2"):
        for name in ("reference", *CODERS):
            assert (page.parent / "audio" / utt / f"{name}.wav").stat().st_size > 16000  # 0.5 s, 16 bit
            png = (page.parent / "img" / utt / f"{name}.png").read_bytes()
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", png[16:24]) == (600, 250)


def test_page_links_exactly_the_files_written(page):
    srcs = parse(page).srcs
    for src in srcs:
        assert not urlparse(src).scheme and not src.startswith("/"), src
        assert (page.parent / unquote(src)).is_file(), src
    written = {p.relative_to(page.parent).as_posix() for p in page.parent.rglob("*") if p.is_file()}
    assert {unquote(s) for s in srcs} == written - {"index.html"}
    # Browse mode: one player and one image per condition; rating mode: reference + every condition.
    assert len(srcs) == 2 * (4 + 4) + 2 * (1 + 4)


def test_browse_mode_shows_names_bitrates_and_metrics(page):
    text = page.read_text(encoding="utf-8")
    browse = text[text.index('<section id="browse"'):text.index('<section id="rate"')]
    assert browse.index("<b>reference</b>") < browse.index("<b>ae</b>") < browse.index("<b>subband-vq</b>")
    for item in ("2.00 kbit/s", "6.00 kbit/s", "LSD 5.10 dB", "LSD 7.10 dB", "PESQ 2.30 MOS", "STOI n/a"):
        assert f"<li>{item}</li>" in browse
    assert browse.count('<audio controls preload="none"') == 8


def test_rating_mode_hides_names_and_includes_the_hidden_reference(page):
    trials = parse(page).trials
    assert len(trials) == 2
    for utt, trial in zip(("utt1", "utt2"), trials):
        assert trial["ref"] == f"audio/{utt}/reference.wav"
        assert sorted(trial["stimuli"]) == ["A", "B", "C", "D"]
        expected = sorted(f"audio/{utt}/{n}.wav" for n in ("reference", *CODERS))
        assert sorted(trial["stimuli"].values()) == expected
    rate = page.read_text(encoding="utf-8").split('<section id="rate"')[1].split("<script>")[0]
    for name in CODERS:  # names appear only in file names, never as visible text
        assert f">{name}<" not in rate
    data = embedded_data(page)
    assert data["seed"] == 0
    for trial in data["trials"]:
        assert sorted(s["name"] for s in trial["stimuli"]) == sorted(["reference", *CODERS])


def test_order_is_seeded_deterministic_and_varies(tmp_path):
    utts = make_utterances(ids=("u",), seconds=0.1)
    a = write_listening_page(utts, tmp_path / "a", seed=3)
    b = write_listening_page(utts, tmp_path / "b", seed=3)
    assert a.read_bytes() == b.read_bytes()
    orders = {tuple(_trial_order(utts[0], seed)) for seed in range(10)}
    assert len(orders) > 1
    assert {order.index(0) for order in orders} != {0}  # the hidden reference is not always "A"
    assert _trial_order(utts[0], 3) == _trial_order(utts[0], 3)
    # Trials are shuffled independently: a trial's order does not depend on the others.
    two = make_utterances(ids=("x", "u"))
    assert _trial_order(two[1], 3) == _trial_order(utts[0], 3)


def test_refuses_non_empty_directory_without_force(tmp_path):
    utts = make_utterances(ids=("u",), seconds=0.1)
    out = tmp_path / "page"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    with pytest.raises(SpecaeError, match=re.escape(str(out))) as err:
        write_listening_page(utts, out)
    assert "\n" not in str(err.value)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    write_listening_page(utts, out, force=True)
    write_listening_page(utts, out, force=True)  # again, over its own files
    assert (out / "notes.txt").read_text() == "keep" and (out / "index.html").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    write_listening_page(utts, empty)
    (tmp_path / "file").write_text("x")
    with pytest.raises(SpecaeError, match="is a file"):
        write_listening_page(utts, tmp_path / "file", force=True)


def test_bad_input_is_refused(tmp_path):
    utt = make_utterances(ids=("u",), seconds=0.1)[0]
    with pytest.raises(SpecaeError, match="no utterances"):
        write_listening_page([], tmp_path / "a")
    with pytest.raises(SpecaeError, match="repeat"):
        write_listening_page([utt, utt], tmp_path / "b")
    utt.conditions.append(Condition("ae", utt.conditions[0].wave, SR))
    with pytest.raises(SpecaeError, match="condition names repeat"):
        write_listening_page([utt], tmp_path / "c")
    utt.conditions[-1] = Condition("bad", torch.full((800,), float("nan")), SR)
    with pytest.raises(SpecaeError, match="NaN"):
        write_listening_page([utt], tmp_path / "d")


def test_names_are_escaped_and_file_names_safe(tmp_path):
    utt = make_utterances(ids=("u",), seconds=0.1)[0]
    utt.id = "</script><b>x&y"
    utt.conditions[1].name = 'ae "<i>" ../../evil'
    utt.conditions[2].name = "ae-<i>-../../evil"  # same file name once made safe
    index = write_listening_page([utt], tmp_path / "page")
    text = index.read_text(encoding="utf-8")
    assert "<b>x" not in text and "<i>" not in text and text.count("</script>") == 1
    assert "&lt;/script&gt;&lt;b&gt;x&amp;y" in text and "ae &quot;&lt;i&gt;&quot; ../../evil" in text
    assert embedded_data(index)["trials"][0]["id"] == "</script><b>x&y"
    files = sorted(p.relative_to(index.parent).as_posix() for p in index.parent.rglob("*.wav"))
    assert len(files) == 4 and all(f.count("/") == 2 for f in files), files
    for src in parse(index).srcs:
        assert (index.parent / unquote(src)).is_file(), src


def test_spectrogram_png_is_small_atomic_and_refuses_overwrite(tmp_path):
    path = tmp_path / "s.png"
    spectrogram_png(torch.zeros(100), 8000, path, title="silence, shorter than a window")
    assert struct.unpack(">II", path.read_bytes()[16:24]) == (600, 250)
    with pytest.raises(SpecaeError, match="already exists"):
        spectrogram_png(torch.zeros(100), 8000, path)
    spectrogram_png(make_utterances(ids=("u",))[0].conditions[0].wave.numpy(), SR, path, force=True)
    assert [p.name for p in tmp_path.iterdir()] == ["s.png"]


# --- a real browser ------------------------------------------------------------------------------


def _need_browser():
    """The CDP driver module, or skip (fail under CI) when Chromium or websocket-client is missing."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} missing: apt-get install chromium")
    if importlib.util.find_spec("websocket") is None:
        missing.append("websocket-client missing: pip install websocket-client")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("; ".join(missing))
        pytest.skip("; ".join(missing))
    driver = Path(__file__).parent / "browser" / "cdp.py"
    spec = importlib.util.spec_from_file_location("specae_test_cdp", driver)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_in_headless_chromium(page, tmp_path):
    cdp = _need_browser()
    started = time.monotonic()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with cdp.Browser(CHROMIUM, tmp_path / "profile", downloads, timeout=25) as browser:
        browser.open(page.as_uri())
        assert browser.js("document.title") == "specae listening test"
        assert browser.js(HIDDEN) == [False, True]

        # Every image shows and every audio element loads a 0.5 s file that exists.
        images = browser.js("Array.from(document.images, (i) => [i.src, i.complete, i.naturalWidth])")
        assert len(images) == 8 and all(done and width == 600 for _, done, width in images), images
        heights = browser.js("Array.from(document.querySelectorAll('#browse audio, #browse img'),"
                             " (e) => e.getBoundingClientRect().height)")
        assert len(heights) == 16 and min(heights) > 20, heights  # players and images are visible
        durations = browser.js("""Promise.all(Array.from(document.querySelectorAll('audio'), (a) =>
            new Promise((ok, fail) => {
              a.addEventListener('loadedmetadata', () => ok([a.src, a.duration]), {once: true});
              a.addEventListener('error', () => fail(new Error('cannot load ' + a.src)), {once: true});
              a.preload = 'metadata'; a.load();
            })))""")
        assert len(durations) == 8 + 10
        for src, duration in durations:
            assert Path(unquote(urlparse(src).path)).is_file(), src
            assert duration == pytest.approx(0.5, abs=0.01), src

        # Rating mode, with real clicks and key presses.
        browser.click('a.tab[data-mode="rate"]')
        browser.wait_event("Page.navigatedWithinDocument")
        _until(browser, f"{HIDDEN}.join() === 'true,false'")  # hashchange runs after the navigation
        data = embedded_data(page)
        wanted = {}  # (trial id, stimulus name) -> score
        for t, trial in enumerate(data["trials"]):
            for k, stim in enumerate(trial["stimuli"]):
                score = 100 if stim["name"] == "reference" else 10 * (k + 1) + t
                browser.click(f"#t{t}-{stim['label']}-score")
                browser.key("Home")
                if score == 100:
                    browser.key("End")
                else:
                    browser.key("ArrowUp", score)
                shown = browser.js(f"document.getElementById('t{t}-{stim['label']}-out').textContent")
                assert shown == str(score)
                wanted[trial["id"], stim["name"]] = score
        assert browser.js("document.getElementById('export-status').textContent") == "all 8 rated"

        # Playback: the reference, then A takes over, then A stops.
        playing = "Array.from(document.querySelectorAll('#rate audio'), (a) => a.paused ? null : a.id)" \
                  ".filter(Boolean)"
        browser.click('button[data-audio="t0-ref"]')
        _until(browser, f"{playing}.join() === 't0-ref' && document.getElementById('t0-ref').currentTime > 0")
        browser.click('button[data-audio="t0-A"]')
        _until(browser, f"{playing}.join() === 't0-A'")
        assert browser.js("document.querySelector('button[data-audio=\"t0-A\"]').className") == "play playing"
        browser.click('button[data-audio="t0-A"]')
        _until(browser, f"{playing}.length === 0")

        # Export: the button downloads the same JSON that specaeExportRatings() returns.
        exported = json.loads(browser.js("window.specaeExportRatings()"))
        browser.click("#export")
        done = browser.wait_event("Browser.downloadProgress", lambda p: p["state"] != "inProgress")
        assert done["state"] == "completed"
        files = list(downloads.glob("ratings-*.json"))
        assert len(files) == 1, list(downloads.iterdir())
        downloaded = json.loads(files[0].read_text())

        errors = browser.events_named("Runtime.exceptionThrown") + [
            e for e in browser.events_named("Log.entryAdded") if e["entry"]["level"] == "error"]
        assert not errors, errors

    for result in (exported, downloaded):
        assert result["title"] == "specae listening test" and result["seed"] == 0
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", result["created"])
        got = {(r["trial"], r["stimulus"]): r["score"] for r in result["ratings"]}
        assert got == wanted
        assert len(result["ratings"]) == 8
        for r in result["ratings"]:
            label = next(s["label"] for s in data["trials"][["utt1", "utt2"].index(r["trial"])]["stimuli"]
                         if s["name"] == r["stimulus"])
            assert r["label"] == label and isinstance(r["score"], int) and r["time_ms"] > 0
    assert downloaded["ratings"] == exported["ratings"]
    assert time.monotonic() - started < 30


def _until(browser, condition: str, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not browser.js(condition):
        assert time.monotonic() < end, f"still false after {timeout} s: {condition}"
        time.sleep(0.05)
