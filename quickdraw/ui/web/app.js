// qd web: the drawing pad, live guesses from the classifier (onnxruntime-web, wasm), the Quick, Draw! game, and
// Sketch-RNN completions (sketch-worker.js) with accept. Everything a drawing goes through before the
// classifier sees it is contract.js, qd's own recipe in JavaScript: the classifier is given the pen's own
// points (frame units, floats), brought to the dataset's frame as `qd classify` brings a file of them, so the
// page's guesses are qd classify's on the drawing made.
//
// For tests and scripts: the pad is the canvas #pad; the guesses are the li of #guesses, best first, each
// "name NN%"; window.qd holds the page's state: strokes (as the page simplified them: integers in the
// dataset's 0-255 frame, [[xs], [ys]] per stroke, the simplified ndjson `drawing` layout), raw (the same
// strokes as the pen gave them, frame units, what the classifier is given), guesses
// ([name, p] best first), probabilities (one per class), seen (the strokes those guesses are of), guessing,
// candidates (each a list of strokes), picked,
// mode ("play" or "draw"), game ({rounds, over, ...}), latencies (ms from pen-up to guesses shown),
// ready and error. index.html#draw opens in drawing mode; ?rounds=N&seconds=S sets the game's length.
import {createPad, FRAME} from "./pad.js";
import {bitmap, simplify, simplifyPartial} from "./contract.js";

const $ = (id) => document.getElementById(id);
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
const SEEN = 3;  // guesses read out in "I see ..."
const SHOWN = 5;  // guesses listed

const qd = {
  ready: false, error: null, mode: "play", strokes: [], guesses: [], probabilities: null, candidates: [], ended: [],
  picked: 0, completing: false, latencies: [], guessCount: 0, game: null, config: null, seen: null, guessing: false,
  raw: [],
};
window.qd = qd;

let config, ort, session, pad, worker = null, sketchReady = false;
let guessing = false, pending = null, lastGuessAt = -1e9, completionId = 0;

// ----------------------------------------------------------------------------------------- start-up

async function start() {
  config = qd.config = await (await fetch("qd-site.json")).json();
  const params = new URLSearchParams(location.search);  // ?rounds=3&seconds=10: a shorter game
  const number = (name, low, high) => Math.min(high, Math.max(low, Number(params.get(name))));
  if (params.has("rounds") && Number.isFinite(number("rounds", 1, 50))) config.game.rounds = Math.round(number("rounds", 1, 50));
  if (params.has("seconds") && Number.isFinite(number("seconds", 2, 600))) config.game.seconds = number("seconds", 2, 600);
  const c = config.classifier;
  $("title").textContent = config.title;
  document.title = config.title;
  about();
  status("loading the classifier...");
  try {
    ort = await import(new URL("ort.wasm.min.mjs", new URL(config.libraries.ort, location.href)).href);
  } catch (err) {
    return fail(`could not load onnxruntime-web from ${config.libraries.ort} (${err.message}); offline? ` +
                "build the site with qd web --js-from NODE_MODULES");
  }
  ort.env.wasm.wasmPaths = new URL(config.libraries.ort, location.href).href;
  ort.env.wasm.numThreads = 1;  // a plain static server gives no cross-origin isolation, so no threads
  try {
    session = await ort.InferenceSession.create(config.classifier.model, {executionProviders: ["wasm"]});
  } catch (err) {
    return fail(`could not load the classifier ${config.classifier.model}: ${err.message}`);
  }
  pad = createPad($("pad"), {onStrokeStart, onPoint, onStroke});
  if (config.sketch) startWorker(); else document.body.classList.add("no-sketch");
  wire();
  setMode(location.hash === "#draw" ? "draw" : "play");
  qd.ready = true;
  status("");
}

function fail(message) {
  qd.error = message;
  status(message, true);
}

function about() {
  const c = config.classifier, s = config.sketch;
  const parts = [`classifier: ${c.name} (${c.classes.length} classes: ${c.classes.join(", ")})`];
  if (s) parts.push(`completions: Sketch-RNN ${s.name}`);
  parts.push("runs in your browser: onnxruntime-web" + (s ? ", @magenta/sketch" : "") + "; nothing is sent anywhere");
  $("about").textContent = parts.join(" · ");
  if (c.synthetic || (s && s.synthetic)) {
    const note = document.createElement("div");
    note.className = "synthetic";
    note.textContent = "Models trained on SYNTHETIC doodles (qd's procedural stand-ins), not Quick, Draw! data.";
    $("about").prepend(note);
  }
}

function status(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

function wire() {
  $("mode-play").onclick = () => setMode("play");
  $("mode-draw").onclick = () => setMode("draw");
  $("clear").onclick = () => { clearDrawing(); };
  $("undo").onclick = () => { setStrokes(qd.strokes.slice(0, -1), qd.raw.slice(0, -1)); };
  $("skip").onclick = () => skipRound();
  $("prev").onclick = () => pick(qd.picked - 1);
  $("next").onclick = () => pick(qd.picked + 1);
  $("accept").onclick = () => accept();
  $("resample").onclick = () => complete();
  document.addEventListener("keydown", (e) => {
    if (e.target && e.target.tagName === "INPUT") return;
    const keys = {ArrowLeft: () => pick(qd.picked - 1), ArrowRight: () => pick(qd.picked + 1), Enter: () => accept(),
                  r: () => complete(), n: () => skipRound(), ArrowUp: () => temperature(0.1), ArrowDown: () => temperature(-0.1)};
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    else if (/^[1-9]$/.test(e.key) && config.sketch) { config.sketch.n = Number(e.key); qd.picked = Math.min(qd.picked, config.sketch.n - 1); complete(); }
  });
}

function setMode(mode) {
  qd.mode = mode;
  document.body.classList.toggle("play", mode === "play");
  document.body.classList.toggle("draw", mode === "draw");
  $("mode-play").setAttribute("aria-pressed", String(mode === "play"));
  $("mode-draw").setAttribute("aria-pressed", String(mode === "draw"));
  stopGame();
  clearDrawing();
  $("summary").innerHTML = "";
  if (mode === "play") newGame();
  else $("line").textContent = `Draw one of: ${config.classifier.classes.join(", ")}`;
}

// ----------------------------------------------------------------------------------------- the pad

function onStrokeStart() {
  if (worker) worker.postMessage({type: "stop"});  // the drawing changes: stop growing
}

function onPoint() {
  const now = performance.now();
  if (pad.live && pad.live[0].length > 1 && now - lastGuessAt >= config.game.guess_every_s * 1000 && canGuess()) {
    requestGuess([...qd.raw, pad.live], null);  // while the pen moves, as the game's window does
  }
}

function onStroke(raw) {
  const penUp = performance.now();
  const game = qd.game;
  if (game && (game.over || game.endedAt !== null)) {  // between rounds: ink is not part of any round
    pad.setStrokes(qd.strokes);
    return;
  }
  const [stroke] = simplifyPartial([raw]);
  if (!stroke) { pad.setStrokes(qd.strokes); return; }
  setStrokes([...qd.strokes, stroke], [...qd.raw, raw], penUp);
}

function setStrokes(strokes, raw, penUp = null) {
  // the drawing: `strokes` simplified in place (shown, kept, completed from), `raw` as drawn (classified)
  qd.strokes = strokes;
  qd.raw = raw;
  pad.setStrokes(strokes);
  clearCandidates();
  fitView();
  if (!strokes.length) { showGuesses(null); return; }
  if (canGuess()) requestGuess(raw, penUp);
  if (qd.mode === "draw") complete();
}

function clearDrawing() {
  if (pad) pad.cancel();
  qd.strokes = [];
  qd.raw = [];
  if (pad) { pad.clear(); fitView(); }
  clearCandidates();
  showGuesses(null);
}

function fitView() {
  // keep the whole drawing in view: the 0-255 frame, or a wider square around it (an accepted completion may
  // reach past the frame). Only the drawing counts, not the candidates, and only between strokes: the view
  // never moves under the pen.
  let lo = 0, hi = FRAME;
  for (const [xs, ys] of qd.strokes) for (let i = 0; i < xs.length; i++) {
    lo = Math.min(lo, xs[i], ys[i]);
    hi = Math.max(hi, xs[i], ys[i]);
  }
  const margin = lo < 0 || hi > FRAME ? 8 : 0;
  pad.setView(lo - margin, lo - margin, hi - lo + 2 * margin);
}

// ----------------------------------------------------------------------------------------- guesses

function canGuess() {
  const game = qd.game;
  return qd.mode === "draw" || (game && !game.over && game.endedAt === null);
}

function requestGuess(strokes, penUp) {
  lastGuessAt = performance.now();
  pending = {strokes: strokes.map(([xs, ys]) => [xs.slice(), ys.slice()]), penUp, round: qd.game ? qd.game.rounds.length : 0};
  if (!guessing) runGuesses();
}

async function runGuesses() {
  guessing = qd.guessing = true;
  while (pending) {
    const job = pending;
    pending = null;
    const size = config.classifier.image_size;
    let pixels;
    try {
      pixels = bitmap(job.strokes, size);
    } catch (err) {
      continue;  // nothing drawn yet
    }
    const input = new ort.Tensor("uint8", pixels, [1, size, size, 1]);
    const output = await session.run({[session.inputNames[0]]: input});
    const probabilities = Array.from(output[session.outputNames[0]].data);
    showGuesses(probabilities, pixels);
    qd.seen = job.strokes;
    qd.guessCount++;
    if (job.penUp !== null) qd.latencies.push(performance.now() - job.penUp);
    heard(qd.guesses, job.round);
  }
  guessing = qd.guessing = false;
}

function showGuesses(probabilities, pixels = null) {
  const list = $("guesses");
  list.innerHTML = "";
  qd.probabilities = probabilities;
  qd.guesses = [];
  if (!probabilities) { drawBitmap(null); return; }
  const order = probabilities.map((p, i) => i).sort((a, b) => probabilities[b] - probabilities[a]);
  qd.guesses = order.map((i) => [config.classifier.classes[i], probabilities[i]]);
  for (const [name, p] of qd.guesses.slice(0, SHOWN)) {
    const item = document.createElement("li");
    item.textContent = `${name} ${Math.round(p * 100)}%`;
    item.style.setProperty("--p", `${(p * 100).toFixed(1)}%`);
    list.append(item);
  }
  drawBitmap(pixels);
}

function drawBitmap(pixels) {
  const canvas = $("bitmap"), size = config.classifier.image_size;
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const v = pixels ? pixels[i] : 0;
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

// ----------------------------------------------------------------------------------------- the game

export function guessLine(guesses, target, confidence) {
  // what the game says, and whether it recognises the target (classifier/play.py guess_line)
  if (!guesses.length) return ["", false];
  const [best, p] = guesses[0];
  if (best === target && p >= confidence) return [`Oh, I know, it's ${target}!`, true];
  return ["I see " + guesses.slice(0, SEEN).map(([name]) => name).join(", or "), false];
}

function shuffled(items) {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function newGame() {
  const rules = config.game;
  const categories = [];
  while (categories.length < rules.rounds) categories.push(...shuffled(config.classifier.classes));
  qd.game = {categories: categories.slice(0, rules.rounds), rounds: [], over: false, started: 0, endedAt: null, timer: null};
  $("summary").innerHTML = "";
  startRound();
  qd.game.timer = setInterval(tick, 50);
}

function stopGame() {
  if (qd.game && qd.game.timer) clearInterval(qd.game.timer);
  qd.game = null;
  $("prompt").textContent = "";
  $("clock").textContent = "";
}

function startRound() {
  const game = qd.game;
  const category = game.categories[game.rounds.length];
  game.rounds.push({category, strokes: [], recognized: false, seconds: 0, skipped: false, done: false, timestamp: ""});
  game.started = performance.now();
  game.endedAt = null;
  clearDrawing();
  $("prompt").textContent = `Draw: ${category}`;
  $("line").textContent = "";
}

function tick() {
  const game = qd.game;
  if (!game || game.over) return;
  const now = performance.now();
  if (game.endedAt !== null) {
    if (now - game.endedAt >= config.game.between_rounds_s * 1000) nextRound();
    return;
  }
  const left = config.game.seconds - (now - game.started) / 1000;
  if (left <= 0) { endRound("Sorry, I couldn't guess it."); return; }
  $("clock").textContent = `${left.toFixed(1)} s left`;
}

function heard(guesses, round) {
  const game = qd.game;
  if (qd.mode !== "play" || !game || game.over || game.endedAt !== null || round !== game.rounds.length) return;
  const current = game.rounds[game.rounds.length - 1];
  const [line, known] = guessLine(guesses, current.category, config.game.confidence);
  $("line").textContent = line;
  if (known) {
    current.recognized = true;
    endRound(line);
  }
}

function skipRound() {
  const game = qd.game;
  if (qd.mode !== "play" || !game || game.over || game.endedAt !== null) return;
  game.rounds[game.rounds.length - 1].skipped = true;
  endRound("Skipped.");
}

function endRound(text) {
  const game = qd.game;
  const current = game.rounds[game.rounds.length - 1];
  current.seconds = Math.round((performance.now() - game.started) / 10) / 100;
  const live = pad.cancel();  // a stroke under the pen belongs to this round, and stays on the pad till the next
  const extra = live && live[0].length ? simplifyPartial([live]) : [];
  current.strokes = [...qd.strokes, ...extra];
  qd.strokes = current.strokes;
  if (live && live[0].length) qd.raw = [...qd.raw, live];
  pad.setStrokes(qd.strokes);
  current.done = true;
  current.timestamp = new Date().toISOString().replace("T", " ").replace("Z", " UTC");
  game.endedAt = performance.now();
  pending = null;
  $("line").textContent = text;
  $("clock").textContent = "";
}

function nextRound() {
  const game = qd.game;
  if (game.rounds.length < game.categories.length) startRound();
  else finishGame();
}

function finishGame() {
  const game = qd.game;
  game.over = true;
  clearInterval(game.timer);
  game.rounds = game.rounds.filter((r) => r.done);
  $("prompt").textContent = "Game over";
  const known = game.rounds.filter((r) => r.recognized).length;
  $("line").textContent = `The classifier recognised ${known} of your ${game.rounds.length} drawings.`;
  showSummary(game.rounds);
}

function showSummary(rounds) {
  const box = $("summary");
  box.innerHTML = "<h2>Your drawings</h2>";
  const grid = document.createElement("div");
  grid.className = "rounds";
  for (const r of rounds) {
    const figure = document.createElement("figure");
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 88;
    drawThumbnail(canvas, r.strokes);
    const caption = document.createElement("figcaption");
    const verdict = r.recognized ? ["yes", "recognised"] : ["no", r.skipped ? "skipped" : "not recognised"];
    caption.innerHTML = `${r.category}<br><span class="${verdict[0]}">${verdict[1]}</span> ${r.seconds.toFixed(1)} s`;
    figure.append(canvas, caption);
    grid.append(figure);
  }
  box.append(grid);
  const again = document.createElement("button");
  again.id = "again";
  again.textContent = "Play again";
  again.onclick = () => setMode("play");
  const save = document.createElement("a");
  save.id = "download";
  save.textContent = "Download the drawings (ndjson)";
  save.download = "my_doodles.ndjson";
  save.href = URL.createObjectURL(new Blob([ndjson(rounds)], {type: "application/x-ndjson"}));
  box.append(again, " ", save);
}

function drawThumbnail(canvas, strokes) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!strokes.length) return;
  const [frame] = [simplify(strokes)];  // to the corner, longest side 255
  const scale = (canvas.width - 8) / FRAME;
  ctx.strokeStyle = "#111";
  ctx.lineWidth = 1.5;
  ctx.lineCap = ctx.lineJoin = "round";
  for (const [xs, ys] of frame) {
    ctx.beginPath();
    ctx.moveTo(4 + xs[0] * scale, 4 + ys[0] * scale);
    for (let i = 1; i < xs.length; i++) ctx.lineTo(4 + xs[i] * scale, 4 + ys[i] * scale);
    ctx.stroke();
  }
}

function ndjson(rounds) {
  // each round in the official simplified layout (qd play's ndjson: simplified as the dataset's drawings)
  return rounds.filter((r) => r.strokes.length).map((r) => JSON.stringify({
    word: r.category, countrycode: "", timestamp: r.timestamp, recognized: r.recognized,
    key_id: String(Math.floor(1e15 + Math.random() * 9e15)), drawing: simplify(r.strokes),
  })).join("\n") + "\n";
}

// ----------------------------------------------------------------------------------------- completion

function startWorker() {
  const s = config.sketch;
  worker = new Worker("sketch-worker.js");
  worker.onmessage = (event) => {
    const m = event.data;
    if (m.type === "ready") {
      sketchReady = true;
      if (qd.mode === "draw" && qd.strokes.length) complete();
    } else if (m.type === "error") {
      status(`the Sketch-RNN did not load: ${m.message}`, true);
    } else if (m.type === "grow" && m.id === completionId) {
      qd.candidates = m.candidates;
      qd.ended = m.ended;
      qd.completing = !m.done;
      showCandidates();
    }
  };
  worker.onerror = (event) => status(`the Sketch-RNN worker failed: ${event.message}`, true);
  const library = new URL("magentasketch.js", new URL(config.libraries.sketch, location.href)).href;
  worker.postMessage({type: "init", library, model: new URL(s.model, location.href).href, pixelFactor: s.pixel_factor,
                      rule: s.temperature_rule});
}

function complete() {
  if (!config.sketch || qd.mode !== "draw") return;
  clearCandidates();
  if (!qd.strokes.length) return;
  const points = qd.strokes.reduce((n, [xs]) => n + xs.length, 0);
  if (points >= config.sketch.max_seq_len) {
    status(`the drawing has ${points} points, more than this model's max_seq_len ${config.sketch.max_seq_len}`, true);
    return;
  }
  if (!sketchReady) { status("the Sketch-RNN is still loading..."); return; }
  status("");
  completionId++;
  qd.completing = true;
  worker.postMessage({type: "complete", id: completionId, strokes: qd.strokes, n: config.sketch.n,
                      temperature: config.sketch.temperature, maxSeqLen: config.sketch.max_seq_len});
}

function clearCandidates() {
  completionId++;
  qd.candidates = [];
  qd.ended = [];
  qd.completing = false;
  if (worker) worker.postMessage({type: "stop"});
  if (pad) pad.setGhosts([]);
  showCandidates();
}

function pick(i) {
  if (!config.sketch || qd.mode !== "draw") return;
  const n = config.sketch.n;
  qd.picked = ((i % n) + n) % n;
  showCandidates();
}

function temperature(step) {
  if (!config.sketch || qd.mode !== "draw") return;
  config.sketch.temperature = Math.round(Math.min(1.5, Math.max(0.1, config.sketch.temperature + step)) * 100) / 100;
  complete();
}

function accept() {
  if (!config.sketch || qd.mode !== "draw") return;
  const extra = qd.candidates[qd.picked] || [];
  if (!extra.length) { status("nothing to accept: that candidate has not drawn anything", true); return; }
  const picked = qd.picked;
  setStrokes([...qd.strokes, ...simplifyPartial(extra)], [...qd.raw, ...extra]);
  status(`accepted candidate ${picked + 1}: draw on, or accept again`);
}

function showCandidates() {
  if (!pad) return;
  const ghosts = qd.candidates.map((strokes, i) => ({strokes, colour: COLOURS[i % COLOURS.length],
    alpha: i === qd.picked ? 0.6 : 0.25, width: i === qd.picked ? 2.5 : 1.5})).filter((g) => g.strokes.length);
  pad.setGhosts(ghosts);
  const box = $("completion");
  if (!config.sketch || qd.mode !== "draw") { box.innerHTML = ""; return; }
  const s = config.sketch;
  box.innerHTML = `<h2>Completions</h2><div class="caption">${s.name}: ${s.n} candidates, temperature ` +
    `${s.temperature.toFixed(2)}${qd.completing ? ", growing..." : ""}; &#9664; &#9654; pick, Accept (enter) takes it</div>`;
  const row = document.createElement("div");
  row.className = "candidates";
  for (let i = 0; i < s.n; i++) {
    const chip = document.createElement("span");
    chip.className = "candidate" + (i === qd.picked ? " picked" : "");
    chip.style.background = COLOURS[i % COLOURS.length] + "33";
    const points = (qd.candidates[i] || []).reduce((n, [xs]) => n + xs.length, 0);
    chip.textContent = `${i + 1}: ${points} pts${qd.ended[i] ? " (ended)" : ""}`;
    chip.onclick = () => pick(i);
    row.append(chip);
  }
  box.append(row);
}

start().catch((err) => fail(`qd web failed to start: ${err.message}`));
