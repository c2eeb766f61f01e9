#!/usr/bin/env node
// Sampling speed of Magenta's JavaScript Sketch-RNN (@magenta/sketch, tfjs pure-JS cpu backend).
//
//   node sample_speed.js MODEL.gen.json SECONDS
//
// Samples one point at a time as the sketch-rnn demos do: state = update(zeroInput(), zeroState()),
// then repeatedly pdf = getPDF(state, 0.25); stroke = sample(pdf); state = update(stroke, state);
// restarting from the zero state on end-of-sketch (p3) or after max_seq_len points. After a short
// warm-up it runs for about SECONDS of wall time and prints one JSON line on stdout:
// {"points_per_second": ..., "points": ..., "seconds": ..., "version": ...}.
// Sampling uses Math.random (unseeded), as the library does.
'use strict';

const fs = require('fs');

// tfjs prints a "install tfjs-node" banner on first use; keep stdout to the one JSON line.
const log = console.log;
console.log = (...args) => process.stderr.write(args.join(' ') + '\n');
const sketchPkg = require('@magenta/sketch/package.json');
const tfjsPkg = require('@tensorflow/tfjs-core/package.json');
const ms = require('@magenta/sketch');

const TEMPERATURE = 0.25;
const WARMUP_SECONDS = 1.0;

function main() {
  const [modelPath, secondsArg] = process.argv.slice(2);
  const seconds = Number(secondsArg);
  if (!modelPath || !(seconds > 0)) {
    process.stderr.write('usage: node sample_speed.js MODEL.gen.json SECONDS\n');
    process.exit(2);
  }
  const [info, shapes, weights] = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const model = new ms.SketchRNN(modelPath);
  model.instantiateFromJSON(info, shapes, weights);
  const maxLen = info.max_seq_len;

  let state = model.update(model.zeroInput(), model.zeroState());
  let inSketch = 0;
  let sketches = 0;
  function step() {
    const pdf = model.getPDF(state, TEMPERATURE);
    const stroke = model.sample(pdf);
    inSketch += 1;
    if (stroke[4] === 1 || inSketch >= maxLen) {
      sketches += 1;
      inSketch = 0;
      state = model.update(model.zeroInput(), model.zeroState());
    } else {
      state = model.update(stroke, state);
    }
  }

  const now = () => Number(process.hrtime.bigint()) / 1e9;
  let t0 = now();
  while (now() - t0 < WARMUP_SECONDS) step();

  sketches = 0;
  let points = 0;
  t0 = now();
  let elapsed = 0;
  while (elapsed < seconds) {
    step();
    points += 1;
    elapsed = now() - t0;
  }
  const result = {
    points_per_second: Math.round(10 * points / elapsed) / 10,
    points: points,
    seconds: Math.round(1000 * elapsed) / 1000,
    version: sketchPkg.version,
    tfjs_core: tfjsPkg.version,
    backend: ms.tf.getBackend(),
    temperature: TEMPERATURE,
    sketches_finished: sketches,
    model: info.name,
  };
  log(JSON.stringify(result));
}

main();
