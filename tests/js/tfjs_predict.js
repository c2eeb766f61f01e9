#!/usr/bin/env node
// Run a TF.js layers model folder (model.json + weight shards, as `qd export-model --format tfjs` writes it)
// on uint8 bitmaps with @tensorflow/tfjs in node (its pure-JS CPU backend; no tfjs-node binaries).
//
//   NODE_PATH=.../node_modules node tfjs_predict.js MODEL_DIR INPUT.bin N SIZE [REPEATS]
//
// INPUT.bin holds N * SIZE * SIZE uint8 pixels. Prints one JSON line: probabilities (N x classes, flat),
// the classes from the model's userDefinedMetadata, and the median milliseconds of a one-bitmap predict.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

async function main() {
  const [dir, input, n, size, repeats = '0'] = process.argv.slice(2);
  const doc = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const specs = doc.weightsManifest.flatMap((group) => group.weights);
  const data = Buffer.concat(doc.weightsManifest.flatMap((group) => group.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({modelTopology: doc.modelTopology, weightSpecs: specs, weightData,
                                                           userDefinedMetadata: doc.userDefinedMetadata}));
  const pixels = Float32Array.from(fs.readFileSync(input));
  const x = tf.tensor4d(pixels, [Number(n), Number(size), Number(size), 1]);
  const probabilities = Array.from(await model.predict(x).data());
  const times = [];
  const one = x.slice([0, 0, 0, 0], [1, -1, -1, -1]);
  for (let i = 0; i < Number(repeats); i++) {
    const t0 = performance.now();
    await model.predict(one).data();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const meta = model.getUserDefinedMetadata() || {};
  console.log(JSON.stringify({probabilities, classes: meta.classes, backend: tf.getBackend(),
                              median_ms: times.length ? times[times.length >> 1] : null}));
}

main().catch((err) => { console.error(err); process.exit(1); });
