"""The inline style and script of the listening page written by :mod:`specae.report`.

The script expects a ``const SPECAE = {title, seed, trials: [{id, stimuli: [{label, name}]}]}``
before it, and the markup :func:`specae.report.write_listening_page` renders. Ratings live in
``window.specaeRatings`` (one object per slider, updated on every move); the "Export ratings"
button downloads ``window.specaeExportRatings()``, the JSON string
``{title, seed, created, ratings: [{trial, stimulus, label, score, time_ms}]}``, where
``time_ms`` is the time since the page loaded of the slider's last move (null: never moved).
"""

PAGE_STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 0 1.5rem 2rem; color: #222; background: #fafafa; }
header { display: flex; align-items: baseline; gap: 2rem; flex-wrap: wrap; position: sticky; top: 0;
  z-index: 1; background: #fafafa; border-bottom: 1px solid #ddd; }
section.mode { scroll-margin-top: 5rem; }
h1 { font-size: 1.4rem; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .5rem; }
a.tab { padding: .3rem .8rem; border: 1px solid #888; border-radius: 4px; text-decoration: none;
  color: #222; }
a.tab.active { background: #234; color: #fff; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: .8rem; }
figure.cond { margin: 0; padding: .5rem; background: #fff; border: 1px solid #ddd; border-radius: 6px;
  display: flex; flex-direction: column; gap: .4rem; }
figcaption ul { list-style: none; margin: .2rem 0 0; padding: 0; display: flex; flex-wrap: wrap;
  gap: .1rem .8rem; font-size: .85rem; color: #555; }
.tag { font-size: .75rem; background: #e4ecf4; padding: 0 .4rem; border-radius: 3px; }
figcaption { flex: 1; }
figure audio { width: 100%; height: 40px; }
figure img { width: 100%; height: auto; }
.help { max-width: 60rem; }
.trial { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .2rem 1rem 1rem;
  margin: 1rem 0; }
.mushra { display: flex; gap: 1.2rem; }
.scale { display: flex; flex-direction: column; width: 6rem; height: 240px; margin-top: 1.6rem;
  font-size: .8rem; }
.scale div { flex: 1; border-top: 1px dashed #bbb; border-bottom: 1px dashed #bbb; margin-bottom: -1px; }
.stim { display: flex; flex-direction: column; align-items: center; gap: .3rem; }
.stim output { height: 1.3rem; font-variant-numeric: tabular-nums; }
input.score { writing-mode: vertical-lr; direction: rtl; height: 240px; width: 2rem; margin: 0; }
button { font: inherit; padding: .3rem .7rem; cursor: pointer; }
button.play { min-width: 3rem; }
button.play.playing { background: #2a7; color: #fff; }
[hidden] { display: none !important; }
"""

PAGE_SCRIPT = """
(() => {
  const t0 = performance.now();
  const all = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const status = document.getElementById("export-status");

  // Ratings: one per slider, with the real stimulus name from SPECAE.
  const ratings = [];
  window.specaeRatings = ratings;
  const showStatus = () => {
    const left = ratings.filter((r) => r.time_ms === null).length;
    status.textContent = left ? `${left} of ${ratings.length} not rated yet` : `all ${ratings.length} rated`;
  };
  for (const input of all("input.score")) {
    const trial = SPECAE.trials[Number(input.dataset.trial)];
    const stimulus = trial.stimuli.find((s) => s.label === input.dataset.label);
    const rating = {trial: trial.id, stimulus: stimulus.name, label: stimulus.label,
                    score: Number(input.value), time_ms: null};
    ratings.push(rating);
    const output = document.getElementById(input.id.replace(/-score$/, "-out"));
    input.addEventListener("input", () => {
      rating.score = Number(input.value);
      rating.time_ms = Math.round(performance.now() - t0);
      output.textContent = input.value;
      showStatus();
    });
  }

  const exportRatings = () => JSON.stringify(
    {title: SPECAE.title, seed: SPECAE.seed, created: new Date().toISOString(), ratings}, null, 2);
  window.specaeExportRatings = exportRatings;
  document.getElementById("export").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([exportRatings()], {type: "application/json"}));
    const a = document.createElement("a");
    a.href = url;
    a.download = `ratings-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });

  // Playback: one sound at a time; within a trial, switching keeps the time point.
  const audios = all("audio");
  document.addEventListener("play", (ev) => {
    for (const a of audios) if (a !== ev.target) a.pause();
  }, true);
  for (const button of all("button.play")) {
    const audio = document.getElementById(button.dataset.audio);
    audio.addEventListener("play", () => button.classList.add("playing"));
    const stopped = () => button.classList.remove("playing");
    audio.addEventListener("pause", stopped);
    audio.addEventListener("ended", stopped);
    button.addEventListener("click", () => {
      if (!audio.paused) {
        audio.pause();
        return;
      }
      const playing = all("audio", button.closest(".trial")).find((a) => !a.paused);
      audio.currentTime = playing ? playing.currentTime : 0;
      audio.play().catch((err) => {
        status.textContent = `cannot play ${button.textContent}: ${err.message}`;
      });
    });
  }

  // Modes: #browse (default) or #rate.
  const show = () => {
    const mode = location.hash === "#rate" ? "rate" : "browse";
    for (const section of all("section.mode")) section.hidden = section.id !== mode;
    for (const tab of all("a.tab")) tab.classList.toggle("active", tab.dataset.mode === mode);
    for (const a of audios) a.pause();
  };
  window.addEventListener("hashchange", show);
  show();
  showStatus();
})();
"""
