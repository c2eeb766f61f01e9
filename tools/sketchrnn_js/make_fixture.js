#!/usr/bin/env node
// Reference fixture for a pretrained Sketch-RNN decoder-only model (.gen.json), computed with
// Magenta's own JavaScript implementation (@magenta/sketch, tfjs pure-JS cpu backend).
//
//   node make_fixture.js MODEL.gen.json OUT.json
//
// Run by hand (after `npm install` in this folder), not by CI. It feeds a fixed, reproducible
// stroke-5 sequence (the start token, then the offsets of a small hand-made "bird" drawing with a
// little seeded jitter, three pen-ups and a final end-of-sketch) through SketchRNN.update() from
// zeroState(), and after every step records what SketchRNN.getPDF() returns at temperatures 1.0
// and 0.5 (pi, mu1, mu2, sigma1, sigma2, corr: 20 each; pen: 3), plus the final LSTM state.
//
// Units: SketchRNN.update(stroke, state) takes [dx, dy, p1, p2, p3] with dx, dy in *pixels*:
// it divides them by this.scaleFactor = info.scale_factor / this.pixelFactor, and
// instantiateFromJSON() sets pixelFactor = 2.0. So the network sees dx_px / (scale_factor / 2):
// model units = dataset (.npz) offsets / scale_factor = pixels * 2 / scale_factor (one dataset
// unit is half a pixel of the JS demos' canvas). This script chooses the inputs in model units
// (multiples of 1/256, exact in float32), passes pixels = model_units * (scale_factor / 2) to
// update(), and checks that the value the network receives, Math.fround(pixels / scaleFactor),
// is exactly the chosen model-unit value. Both forms are written to OUT.json.
'use strict';

const fs = require('fs');
const path = require('path');

const sketchPkg = require('@magenta/sketch/package.json');
const tfjsPkg = require('@tensorflow/tfjs-core/package.json');
const ms = require('@magenta/sketch');

const TEMPERATURES = [1.0, 0.5];
const NMIX = 20;

function usage() {
  process.stderr.write('usage: node make_fixture.js MODEL.gen.json OUT.json\n');
  process.exit(2);
}

// mulberry32: a tiny seeded PRNG, so the jitter is the same on every run and machine.
function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A small bird, in model units (y grows downwards, as in the dataset): strokes of absolute points.
// 16 + 9 + 3 + 4 + 7 = 39 points -> 39 offsets, plus the start token = 40 steps.
function birdStrokes() {
  const strokes = [];
  const body = [];
  for (let k = 0; k < 16; k++) {  // body: an open ellipse, 16 points
    const a = Math.PI * (0.15 + 1.75 * k / 15);
    body.push([1.6 * Math.cos(a), 1.0 * Math.sin(a)]);
  }
  strokes.push(body);
  const head = [];
  for (let k = 0; k < 9; k++) {  // head: a small circle up and right
    const a = 2 * Math.PI * k / 8;
    head.push([1.9 + 0.55 * Math.cos(a), -1.1 + 0.55 * Math.sin(a)]);
  }
  strokes.push(head);
  strokes.push([[2.4, -1.3], [3.0, -1.05], [2.42, -0.9]]);  // beak
  strokes.push([[-1.5, -0.2], [-2.4, -0.9], [-2.6, -0.1], [-1.6, 0.25]]);  // tail
  strokes.push([[-0.3, 0.95], [-0.45, 1.8], [-0.7, 2.0], [0.3, 0.95], [0.35, 1.8], [0.6, 2.0],
                [0.15, 2.05]]);  // legs
  return strokes;
}

// Stroke-5 rows in model units: [dx, dy, p1, p2, p3] where p2 = 1 lifts the pen after this point
// (the next offset is a move) and p3 = 1 ends the sketch. Offsets are differences of absolute
// points rounded to a 1/256 grid, so every value is exact in float32 (and in float64).
function strokeFiveModelUnits() {
  const rand = mulberry32(20240601);
  const grid = v => Math.round(v * 256) / 256;
  const rows = [[0, 0, 1, 0, 0]];  // SketchRNN.zeroInput(): the start token
  let prev = [0, 0];
  const strokes = birdStrokes();
  strokes.forEach((stroke, si) => {
    stroke.forEach((pt, pi) => {
      const p = [grid(pt[0] + 0.08 * (rand() - 0.5)), grid(pt[1] + 0.08 * (rand() - 0.5))];
      const last = pi === stroke.length - 1;
      const end = last && si === strokes.length - 1;
      rows.push([p[0] - prev[0], p[1] - prev[1], (last ? 0 : 1), (last && !end ? 1 : 0), (end ? 1 : 0)]);
      prev = p;
    });
  });
  return rows;
}

const round9 = x => Number(Number(x).toPrecision(9));  // float32 values round-trip with 9 digits
const arr = (a, n) => Array.from(a.slice(0, n === undefined ? a.length : n), round9);

function main() {
  const [modelPath, outPath] = process.argv.slice(2);
  if (!modelPath || !outPath) usage();
  const [info, shapes, weights] = JSON.parse(fs.readFileSync(modelPath, 'utf8'));

  const model = new ms.SketchRNN(path.basename(modelPath));
  model.instantiateFromJSON(info, shapes, weights);
  const jsScale = model.scaleFactor;  // = info.scale_factor / model.pixelFactor

  const rowsModel = strokeFiveModelUnits();
  const rowsPixels = rowsModel.map(r => [r[0] * jsScale, r[1] * jsScale, r[2], r[3], r[4]]);
  rowsPixels.forEach((r, i) => {
    for (let d = 0; d < 2; d++) {
      const seen = Math.fround(r[d] / jsScale);  // what update() hands to the float32 tensor
      if (seen !== rowsModel[i][d]) {
        throw new Error(`step ${i}: pixels ${r[d]} reach the network as ${seen}, not ${rowsModel[i][d]}`);
      }
    }
  });

  const keys = ['pi', 'mu1', 'mu2', 'sigma1', 'sigma2', 'corr', 'pen'];
  const outputs = {};
  TEMPERATURES.forEach(t => {
    outputs[t.toFixed(1)] = {};
    keys.forEach(k => { outputs[t.toFixed(1)][k] = []; });
  });
  const hFirst8 = [];
  let state = model.zeroState();
  let sigmaYLength = null;
  rowsPixels.forEach(row => {
    state = model.update(row, state);
    hFirst8.push(arr(state.h, 8));
    TEMPERATURES.forEach(t => {
      const pdf = model.getPDF(state, t);
      sigmaYLength = pdf.sigmaY.length;
      const o = outputs[t.toFixed(1)];
      o.pi.push(arr(pdf.pi));
      o.mu1.push(arr(pdf.muX));
      o.mu2.push(arr(pdf.muY));
      o.sigma1.push(arr(pdf.sigmaX));
      o.sigma2.push(arr(pdf.sigmaY, NMIX));  // pdf.sigmaY is over-long in 0.2.0, see notes
      o.corr.push(arr(pdf.corr));
      o.pen.push(arr(pdf.pen));
    });
  });

  const fixture = {
    what: 'Sketch-RNN .gen.json decoder run by @magenta/sketch (JS): getPDF() after each update()',
    model_file: path.basename(modelPath),
    model_info: info,
    made_with: {
      '@magenta/sketch': sketchPkg.version,
      '@tensorflow/tfjs-core': tfjsPkg.version,
      tfjs_backend: ms.tf.getBackend(),
      node: process.version,
    },
    notes: [
      'Step i feeds inputs_model_units[i] (equivalently inputs_pixels[i] given to SketchRNN.update) ' +
        'and then records getPDF(state, T); step 0 feeds the start token [0,0,1,0,0] ' +
        '(SketchRNN.zeroInput()) into zeroState() (h = c = 0), so its outputs predict the first offset.',
      'inputs_model_units: [dx, dy, p1, p2, p3], dx, dy = dataset (.npz) offsets / scale_factor; ' +
        'this is exactly what the LSTM receives (checked in float32).',
      'inputs_pixels: what SketchRNN.update() takes; it divides dx, dy by js_scale_factor = ' +
        'scale_factor / pixel_factor, pixel_factor = 2.0 (set by instantiateFromJSON).',
      'LSTM: tf.basicLSTMCell: z = [x, h] @ concat(W_xh, W_hh) + b, gates i, j, f, o; ' +
        'c = sigmoid(i) * tanh(j) + c * sigmoid(f + 1.0); h = tanh(c) * sigmoid(o).',
      'getPDF(state, T): z = h @ W_out + b_out; [pen logits (3), pi, mu1, mu2, sigma1, sigma2, corr ' +
        '(20 each)]; pen = softmax(pen_logits / D), pi = softmax(pi_logits / D) with D = 0.5 + 0.5 * T; ' +
        'sigma = exp(raw) * sqrt(T); mu unchanged; corr = tanh(raw).',
      'In @magenta/sketch ' + sketchPkg.version + ' getPDF().sigmaY is sliced [80, 300) and so has ' +
        sigmaYLength + ' values (sigma2 followed by corr and pen); only its first 20 are sigma2 ' +
        'and only those are stored here (sample() only reads index < 20).',
      'Values are the float32 outputs written with 9 significant digits.',
    ],
    scale_factor: info.scale_factor,
    pixel_factor: model.pixelFactor,
    js_scale_factor: jsScale,
    temperatures: TEMPERATURES,
    steps: rowsModel.length,
    inputs_model_units: rowsModel,
    inputs_pixels: rowsPixels,
    outputs: outputs,
    h_first8_per_step: hFirst8,
    final_state: {h_first16: arr(state.h, 16), c_first16: arr(state.c, 16)},
  };
  // One line per innermost numeric array (one step of one parameter), so diffs stay readable.
  const text = JSON.stringify(fixture, null, 1)
    .replace(/\[\s*([-+0-9.eE,\s]+?)\s*\]/g, (m, body) => '[' + body.split(/\s*,\s*/).join(',') + ']');
  fs.writeFileSync(outPath, text + '\n');
  const size = fs.statSync(outPath).size;
  process.stderr.write(`wrote ${outPath}: ${rowsModel.length} steps, ${size} bytes\n`);
}

main();
