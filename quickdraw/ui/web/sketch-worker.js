// Sketch-RNN completions for qd web, in a Web Worker: the page's pen never waits for the model, and the
// TensorFlow.js 1.x that @magenta/sketch carries lives in this worker's own global scope (it keeps its engine
// in a global, and would fight any other TensorFlow.js on the page).
//
// Messages in:  {type: "init", library, model, pixelFactor, rule}   load magentasketch.js and the .gen.json model
//               {type: "complete", id, strokes, n, temperature, maxSeqLen}   grow n candidates from the drawing
//               {type: "stop"}
// Messages out: {type: "ready", name, maxSeqLen} | {type: "error", message}
//               {type: "grow", id, candidates: [[[xs], [ys]] per stroke] per candidate, ended, done, given}
//
// Units: strokes are in the dataset's 0-255 frame. @magenta/sketch divides offsets by
// info.scale_factor / pixelFactor; the page sets pixelFactor so that this is qd's scale for the model (for an
// official model, the frame scale qd measures for it), so the network sees what qd's window feeds it.
// Conditioning as qd's Sampler.prime: the start token, then the drawing as stroke-5 rows (the first row is
// the first point's offset from (0, 0)); sampling as its stream (an end-of-sketch row ends a candidate).
/* global ms, importScripts */
"use strict";
let model = null;
let current = -1;    // the id of the completion being grown; a new request or "stop" changes it
let rule = "sketch-rnn-js";

const pause = () => new Promise((resolve) => setTimeout(resolve, 0));  // lets new messages in

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === "init") {
    try {
      // The bundle attaches itself to window.ms; a worker has no window. Lend it one while the script runs, then
      // take it back, so that TensorFlow.js then sees a worker (no DOM) and picks its CPU backend.
      self.window = self;
      try {
        importScripts(message.library);
      } finally {
        delete self.window;
      }
      const engine = self._tfengine;  // the bundle's TensorFlow.js 1.x, kept in this worker's global scope
      if (engine) {
        engine.ENV.set("IS_BROWSER", false);  // no DOM here: its CPU backend must not look for a canvas
        await engine.setBackend("cpu");  // no WebGL in a worker here; skip trying it
      }
      model = new ms.SketchRNN(message.model);
      await model.initialize();
      model.setPixelFactor(message.pixelFactor);
      rule = message.rule || rule;
      self.postMessage({type: "ready", name: model.info.name, maxSeqLen: model.info.max_seq_len});
    } catch (err) {
      self.postMessage({type: "error", message: String((err && err.message) || err)});
    }
  } else if (message.type === "complete") {
    current = message.id;
    if (model) grow(message);
  } else if (message.type === "stop") {
    current = -1;
  }
};

function pdfOf(state, temperature) {
  // sketch-rnn-js divides mixture and pen logits by 0.5 + 0.5 T; qd's own runs (Magenta's Python) by T
  return rule === "magenta" ? model.getPDF(state, temperature, temperature) : model.getPDF(state, temperature);
}

async function grow({id, strokes, n, temperature, maxSeqLen}) {
  let state = model.update(model.zeroInput(), model.zeroState());
  let px = 0, py = 0, given = 0;
  for (const [xs, ys] of strokes) {
    for (let i = 0; i < xs.length; i++) {
      const last = i === xs.length - 1;
      state = model.update([xs[i] - px, ys[i] - py, last ? 0 : 1, last ? 1 : 0, 0], state);
      px = xs[i];
      py = ys[i];
      given++;
    }
    if (given % 16 === 0) {
      await pause();
      if (current !== id) return;
    }
  }
  const states = Array.from({length: n}, () => model.copyState(state));
  const pens = Array.from({length: n}, () => [px, py]);
  const candidates = Array.from({length: n}, () => []);
  const ended = new Array(n).fill(false);
  const newStroke = new Array(n).fill(true);
  const post = (done) => self.postMessage({type: "grow", id, candidates, ended, done, given});
  let posted = performance.now();
  for (let step = 0; step < maxSeqLen - given && ended.some((e) => !e); step++) {
    for (let c = 0; c < n; c++) {
      if (ended[c]) continue;
      const [dx, dy, p1, p2, p3] = model.sample(pdfOf(states[c], temperature));
      if (p3 === 1) {
        ended[c] = true;
        continue;
      }
      pens[c] = [pens[c][0] + dx, pens[c][1] + dy];
      if (newStroke[c]) {
        candidates[c].push([[pens[c][0]], [pens[c][1]]]);
      } else {
        const stroke = candidates[c][candidates[c].length - 1];
        stroke[0].push(pens[c][0]);
        stroke[1].push(pens[c][1]);
      }
      newStroke[c] = p2 === 1;
      states[c] = model.update([dx, dy, p1, p2, p3], states[c]);
    }
    if (performance.now() - posted > 40) {
      post(false);
      posted = performance.now();
      await pause();
      if (current !== id) return;
    }
  }
  post(true);
}
