// The notebook widget of a qd pad (anywidget), appended to pad.js in one module by quickdraw/ui/notebook.py.
// The page keeps the pen: pad.js collects every sample and draws the stroke; the kernel hears the stroke
// once, whole, when the pen lifts (and every live_every_ms while a game guesses live). What the kernel's
// model answers arrives as widget state, drawn here: guesses, candidates, a game's clock and summary.

const KEY_NAMES = {ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right", Enter: "enter"};

function el_(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawSmall(canvas, given, mine, colour, fit) {
  // a candidate's little pad: the user's strokes in black, the candidate in colour, widened to fit it
  const ctx = canvas.getContext("2d");
  const side = canvas.width;
  let x0 = 0, y0 = 0, span = FRAME;
  if (fit && mine.length) {
    let lx = 0, ly = 0, hx = FRAME, hy = FRAME;
    for (const [xs, ys] of mine) {
      for (const x of xs) { lx = Math.min(lx, x); hx = Math.max(hx, x); }
      for (const y of ys) { ly = Math.min(ly, y); hy = Math.max(hy, y); }
    }
    if (lx < 0 || ly < 0 || hx > FRAME || hy > FRAME) {
      span = Math.max(hx - lx, hy - ly) * 1.04;
      x0 = (lx + hx) / 2 - span / 2;
      y0 = (ly + hy) / 2 - span / 2;
    }
  }
  const k = side / span;
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, side, side);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const [strokes, style, width] of [[given, "#000000", 1.5], [mine, colour, 1.5]]) {
    ctx.strokeStyle = style;
    ctx.lineWidth = width * (side / 160);
    for (const [xs, ys] of strokes) {
      if (!xs.length) continue;
      ctx.beginPath();
      ctx.moveTo((xs[0] - x0) * k, (ys[0] - y0) * k);
      for (let i = 1; i < xs.length; i++) ctx.lineTo((xs[i] - x0) * k, (ys[i] - y0) * k);
      ctx.stroke();
    }
  }
}

function render({model, el}) {
  const root = el_("div", "qd-widget");
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "true");  // JupyterLab leaves our keys alone
  const help = el_("div", "qd-help");
  const main = el_("div", "qd-main");
  const left = el_("div", "qd-left");
  const title = el_("div", "qd-title");
  const canvas = el_("canvas", "qd-canvas");
  const info = el_("div", "qd-info");
  const status = el_("div", "qd-status");
  const buttons = el_("div", "qd-buttons");
  const side = el_("div", "qd-side");
  const summary = el_("img", "qd-summary");
  summary.alt = "the game's summary";
  summary.style.display = "none";
  left.append(title, canvas, info, status, buttons);
  main.append(left, side);
  root.append(help, main, summary);
  el.appendChild(root);

  const stats = (window.qdNotebook = window.qdNotebook || {latencies: {guesses: [], candidates: []}, sent: []});
  let expected = null;   // the drawing change the kernel will make of the stroke just sent
  let penUpAt = 0;
  let waiting = {guesses: false, candidates: false};
  let pending = [];
  let flusher = null;
  let first = true;

  function send(message) { model.send(message); }

  function flush() {
    if (pending.length) { send({kind: "move", points: pending}); pending = []; }
  }

  const pad = createPad(canvas, {
    onStrokeStart() { first = true; pending = []; },
    onPoint(x, y) {
      if (first) {
        first = false;
        send({kind: "down", x, y});
        const every = model.get("live_every_ms");
        if (every > 0) flusher = setInterval(flush, every);
        return;
      }
      if (flusher !== null) pending.push([x, y]);
    },
    onStroke(points) {
      if (flusher !== null) { clearInterval(flusher); flusher = null; }
      pending = [];
      stats.sent.push(points[0].length);
      expected = model.get("changes") + 1;
      penUpAt = performance.now();
      waiting = {guesses: true, candidates: true};
      send({kind: "up", points});
    },
  });
  root.qdPad = pad;

  function text() {
    title.textContent = model.get("title");
    info.textContent = model.get("info");
    status.textContent = model.get("status");
    status.classList.toggle("qd-error", model.get("status_kind") === "error");
    help.textContent = model.get("help");
  }

  function drawButtons() {
    buttons.replaceChildren();
    for (const [key, label] of model.get("buttons")) {
      const button = el_("button", "qd-button", label);
      button.type = "button";
      button.dataset.key = key;
      button.addEventListener("click", () => send({kind: "key", key}));
      buttons.appendChild(button);
    }
  }

  function strokes() { pad.setStrokes(model.get("strokes")); }
  function ghosts() { pad.setGhosts(model.get("ghosts")); }
  function view() { const [x0, y0, s] = model.get("view"); pad.setView(x0, y0, s); }
  function overlay() {
    const url = model.get("overlay");
    if (!url) { pad.setOverlay(null); return; }
    const image = new Image();
    image.onload = () => pad.setOverlay(image, model.get("overlay_extent"));
    image.src = url;
  }

  function guessesPanel(state) {
    const seen = el_("figure", "qd-seen");
    const image = el_("img");
    image.alt = "what the model sees";
    if (state.bitmap) image.src = state.bitmap;
    seen.append(image, el_("figcaption", "", `what the model sees (${state.size}x${state.size})`));
    const list = el_("ol", "qd-guesses");
    for (const [name, p] of state.guesses || []) {
      const item = el_("li", "", `${name} ${Math.round(p * 100)}%`);
      item.style.setProperty("--p", `${(p * 100).toFixed(1)}%`);
      list.appendChild(item);
    }
    side.replaceChildren(seen, el_("div", "qd-caption", "the model's guesses"), list);
    if (!(state.guesses || []).length) side.appendChild(el_("div", "qd-placeholder", "draw, and after each stroke the model guesses"));
  }

  function candidatesPanel(state) {
    const grid = el_("div", "qd-candidates");
    const n = state.n || 0;
    const cols = Math.ceil(Math.sqrt(n));
    grid.style.gridTemplateColumns = `repeat(${cols}, 1fr)`;
    for (let i = 0; i < n; i++) {
      const cell = el_("figure", "qd-candidate" + (i === state.picked ? " qd-picked" : ""));
      const small = el_("canvas");
      small.width = small.height = 160;
      const mine = (state.candidates || [])[i] || [];
      const ended = (state.ended || [])[i] && !mine.length;
      drawSmall(small, state.strokes || [], mine, state.colours[i], true);
      const caption = el_("figcaption", "", ended ? `${i + 1}: ended at once, nothing added` : `${i + 1}`);
      caption.style.color = ended ? "#777777" : state.colours[i];
      cell.append(small, caption);
      cell.addEventListener("click", () => {
        const steps = (i - state.picked + n) % n;
        for (let k = 0; k < steps; k++) send({kind: "key", key: "right"});
      });
      grid.appendChild(cell);
    }
    side.replaceChildren(grid);
  }

  function gamePanel(state) {
    side.replaceChildren(el_("div", "qd-prompt", state.prompt || ""), el_("div", "qd-clock", state.clock || ""),
                         el_("div", "qd-line", state.line || ""), el_("div", "qd-score", state.score || ""));
    if (state.summary) {
      summary.src = state.summary;
      summary.style.display = "";
      main.style.display = "none";
    }
  }

  function panel() {
    const state = model.get("panel_state") || {};
    const kind = model.get("panel");
    if (kind === "guesses") guessesPanel(state);
    else if (kind === "candidates") candidatesPanel(state);
    else if (kind === "game") gamePanel(state);
    if (expected !== null && state.for_change >= expected) {
      const elapsed = performance.now() - penUpAt;
      if (waiting.guesses && (state.guesses || []).length) {
        stats.latencies.guesses.push(elapsed);
        waiting.guesses = false;
      }
      if (waiting.candidates && (state.candidates || []).some((c) => c.length)) {
        stats.latencies.candidates.push(elapsed);
        waiting.candidates = false;
      }
    }
  }

  root.addEventListener("keydown", (e) => {
    const key = KEY_NAMES[e.key] || (e.key.length === 1 ? e.key : null);
    if (!key || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    e.stopPropagation();
    send({kind: "key", key});
  });
  canvas.addEventListener("pointerdown", () => root.focus({preventScroll: true}));

  model.on("change:title", text);
  model.on("change:info", text);
  model.on("change:status", text);
  model.on("change:status_kind", text);
  model.on("change:strokes", strokes);
  model.on("change:ghosts", ghosts);
  model.on("change:view", view);
  model.on("change:overlay", overlay);
  model.on("change:panel_state", panel);
  model.on("change:buttons", drawButtons);
  model.on("change:closed", () => root.classList.toggle("qd-closed", model.get("closed")));
  model.on("msg:custom", (message) => {
    if (message.kind === "drop_live") {
      if (flusher !== null) { clearInterval(flusher); flusher = null; }
      pending = [];
      pad.cancel();
    }
  });

  text();
  drawButtons();
  view();
  strokes();
  ghosts();
  overlay();
  panel();
  root.classList.toggle("qd-closed", model.get("closed"));
  return () => pad.destroy();
}

export default {render};
