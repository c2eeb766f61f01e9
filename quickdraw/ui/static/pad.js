// The drawing pad of qd's browser front ends (the notebook widget and `qd web`): a square canvas showing
// the dataset's 0-255 frame (y down), drawn on with mouse, pen or touch through pointer events.
//
// Every sample the browser has is kept: pointermove events are read with getCoalescedEvents(), which
// gives the points the browser merged into one event per animation frame, and the stroke under the pen
// is drawn segment by segment, never by redrawing the whole pad. Whatever the page's model does, the
// pen's points are collected here first and handed over when the pen lifts.
//
//   const pad = createPad(canvas, {onStrokeStart, onPoint, onStroke});
//   onStrokeStart()                pointer down on the pad
//   onPoint(x, y)                  each sample, frame units
//   onStroke([[xs...], [ys...]])   pointer up: the raw points of the stroke, frame units (floats)
//   pad.setStrokes(strokes)        committed ink, [[xs], [ys]] per stroke
//   pad.setGhosts([{strokes, colour, alpha, width}])   candidate strokes, drawn lightly
//   pad.setOverlay(image, extent)  an image laid over the pad (or null), stretched over extent =
//                                  [left, right, bottom, top] in frame units (default the 0-255 frame)
//   pad.setView(x0, y0, side)      show the square [x0, x0 + side] x [y0, y0 + side] of frame units
//                                  (default 0, 0, 255; wider when a drawing reaches past the frame)
//   pad.live                       the stroke under the pen ([[xs], [ys]]) or null
//   pad.stats                      {moves, samples}: pointermove events heard and the samples they held
//   pad.cancel()                   end the stroke under the pen without handing it over; returns its
//                                  points or null (the pen's next samples are ignored until it lifts)
//   pad.clear(); pad.redraw(); pad.destroy()

export const FRAME = 255;

export function createPad(canvas, {onStrokeStart, onPoint, onStroke, ink = "#111111", lineWidth = 2.5} = {}) {
  const ctx = canvas.getContext("2d");
  let strokes = [];
  let ghosts = [];
  let overlay = null;
  let overlayExtent = [0, FRAME, FRAME, 0];
  let live = null;          // {xs, ys}
  let pointer = null;       // the pointerId drawing now; other pointers (a second finger) are ignored
  let scale = 1;            // canvas pixels per frame unit
  let view = [0, 0, FRAME]; // x0, y0, side of the frame units shown
  let ignoring = null;      // a pointer whose stroke was cancelled, until it lifts
  const stats = {moves: 0, samples: 0};

  canvas.style.touchAction = "none";
  canvas.style.userSelect = "none";
  canvas.style.webkitUserSelect = "none";

  function fit() {
    const rect = canvas.getBoundingClientRect();
    const side = Math.max(1, Math.round(Math.min(rect.width, rect.height || rect.width) * (window.devicePixelRatio || 1)));
    if (canvas.width !== side || canvas.height !== side) {
      canvas.width = side;
      canvas.height = side;
    }
    scale = side / view[2];
    redraw();
  }

  function toFrame(event) {
    const rect = canvas.getBoundingClientRect();
    const x = view[0] + ((event.clientX - rect.left) / rect.width) * view[2];
    const y = view[1] + ((event.clientY - rect.top) / rect.height) * view[2];
    return [Math.min(view[0] + view[2], Math.max(view[0], x)), Math.min(view[1] + view[2], Math.max(view[1], y))];
  }

  const px = (x) => (x - view[0]) * scale;
  const py = (y) => (y - view[1]) * scale;

  function path(xs, ys) {
    ctx.beginPath();
    ctx.moveTo(px(xs[0]), py(ys[0]));
    if (xs.length === 1) ctx.lineTo(px(xs[0]) + 0.01, py(ys[0]));
    for (let i = 1; i < xs.length; i++) ctx.lineTo(px(xs[i]), py(ys[i]));
    ctx.stroke();
  }

  function style(colour, width, alpha) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = width * scale * 1.2;
    ctx.globalAlpha = alpha;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
  }

  function redraw() {
    ctx.globalAlpha = 1;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (view[2] !== FRAME || view[0] !== 0 || view[1] !== 0) {
      ctx.strokeStyle = "#cccccc";  // where the 0-255 frame lies in a wider view
      ctx.lineWidth = 1;
      ctx.strokeRect(px(0), py(0), FRAME * scale, FRAME * scale);
    }
    if (overlay) {
      ctx.imageSmoothingEnabled = false;
      const [left, right, bottom, top] = overlayExtent;
      ctx.drawImage(overlay, px(left), py(top), (right - left) * scale, (bottom - top) * scale);
    }
    for (const ghost of ghosts) {
      style(ghost.colour || "#888888", ghost.width || 1.5, ghost.alpha ?? 0.3);
      for (const [xs, ys] of ghost.strokes || []) if (xs.length) path(xs, ys);
    }
    style(ink, lineWidth, 1);
    for (const [xs, ys] of strokes) if (xs.length) path(xs, ys);
    if (live && live.xs.length) path(live.xs, live.ys);
    ctx.globalAlpha = 1;
  }

  function extend(points) {
    // draw only the new segments of the live stroke
    style(ink, lineWidth, 1);
    ctx.beginPath();
    const n = live.xs.length;
    const from = Math.max(0, n - points.length - 1);
    ctx.moveTo(px(live.xs[from]), py(live.ys[from]));
    for (let i = from + 1; i < n; i++) ctx.lineTo(px(live.xs[i]), py(live.ys[i]));
    if (n === 1) ctx.lineTo(px(live.xs[0]) + 0.01, py(live.ys[0]));
    ctx.stroke();
  }

  function add(events) {
    const added = [];
    for (const e of events) {
      const [x, y] = toFrame(e);
      const last = live.xs.length - 1;
      if (last >= 0 && live.xs[last] === x && live.ys[last] === y) continue;
      live.xs.push(x);
      live.ys.push(y);
      added.push([x, y]);
      if (onPoint) onPoint(x, y);
    }
    if (added.length) extend(added);
  }

  function down(e) {
    if (pointer !== null || ignoring !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    pointer = e.pointerId;
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* not capturable: fine */ }
    live = {xs: [], ys: []};
    if (onStrokeStart) onStrokeStart();
    add([e]);
  }

  function move(e) {
    if (e.pointerId !== pointer || !live) return;  // also a cancelled stroke's pointer
    e.preventDefault();
    const samples = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    stats.moves += 1;
    stats.samples += samples.length || 1;
    add(samples.length ? samples : [e]);
  }

  function up(e) {
    if (e.pointerId === ignoring) { ignoring = null; return; }
    if (e.pointerId !== pointer || !live) return;
    e.preventDefault();
    if (e.type === "pointerup") add([e]);
    const done = live;
    live = null;
    pointer = null;
    try { canvas.releasePointerCapture(e.pointerId); } catch (err) { /* already released */ }
    strokes = [...strokes, [done.xs, done.ys]];  // shown at once; the owner replaces it by its simplified form
    if (onStroke) onStroke([done.xs, done.ys]);
  }

  const listeners = [["pointerdown", down], ["pointermove", move], ["pointerup", up], ["pointercancel", up],
                     ["contextmenu", (e) => e.preventDefault()]];
  for (const [name, fn] of listeners) canvas.addEventListener(name, fn, {passive: false});
  const resize = typeof ResizeObserver === "function" ? new ResizeObserver(fit) : null;
  if (resize) resize.observe(canvas);
  fit();

  return {
    get live() { return live ? [live.xs.slice(), live.ys.slice()] : null; },
    get strokes() { return strokes; },
    get stats() { return {...stats}; },
    setStrokes(next) { strokes = (next || []).map(([xs, ys]) => [Array.from(xs), Array.from(ys)]); redraw(); },
    setGhosts(next) { ghosts = next || []; redraw(); },
    setOverlay(image, extent) { overlay = image || null; overlayExtent = extent || [0, FRAME, FRAME, 0]; redraw(); },
    setView(x0, y0, side) { view = [x0, y0, side > 0 ? side : FRAME]; fit(); },
    cancel() {
      if (!live) return null;
      const done = [live.xs, live.ys];
      ignoring = pointer;
      live = null;
      pointer = null;
      redraw();
      return done;
    },
    clear() { strokes = []; ghosts = []; overlay = null; redraw(); },
    redraw,
    destroy() {
      for (const [name, fn] of listeners) canvas.removeEventListener(name, fn);
      if (resize) resize.disconnect();
    },
  };
}
