#!/usr/bin/env node
// Magenta's reconstruction loss Lr of a decoder-only Sketch-RNN (.gen.json) on one split of a
// sketchrnn .npz, computed with Magenta's own JavaScript implementation (@magenta/sketch).
//
//   node reference_lr.js MODEL.gen.json DATA.npz SPLIT OUT.json
//
// Run by hand (after `npm install` in this folder), not by CI; its output is a test fixture.
//
// Lr as Magenta's sketch_rnn computes it in evaluation: for each sketch of the split with at most
// max_seq_len points (longer ones are dropped, as its DataLoader drops them), the decoder starts
// from zeroState() on the start token [0, 0, 1, 0, 0]; before each real point it reads
// getPDF(state, 1.0) (temperature 1 leaves the mixture as the network gives it) and adds
//   offset: -log(sum_k pi_k N(dx, dy | mu_k, sigma_k, rho_k) + 1e-6)
//   pen:    -log(softmax(pen logits)[the point's pen state])
// then feeds the point through update(). Offsets enter in the model's own units: the .npz offsets
// divided by the model's scale_factor (setPixelFactor(1) makes update() divide by exactly that).
// Lr = (sum of both terms over every real point) / (sketches x max_seq_len), as Magenta's
// reduce_mean over a batch padded to max_seq_len with the padding masked out.
//
// The .npz is read here without Python: a zip (stored or deflated members) of .npy arrays whose
// object arrays are pickles of int16 (n, 3) arrays; a small pickle reader rebuilds exactly those.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const sketchPkg = require('@magenta/sketch/package.json');
const tfjsPkg = require('@tensorflow/tfjs-core/package.json');
const ms = require('@magenta/sketch');

const EPSILON = 1e-6;

function usage() {
  process.stderr.write('usage: node reference_lr.js MODEL.gen.json DATA.npz SPLIT OUT.json\n');
  process.exit(2);
}

// ---------------------------------------------------------------- zip

function zipMembers(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip file');
  let count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  if (offset === 0xffffffff || count === 0xffff) {  // zip64: the end-of-central-directory locator
    const locator = eocd - 20;
    const eocd64 = Number(buf.readBigUInt64LE(locator + 8));
    count = Number(buf.readBigUInt64LE(eocd64 + 32));
    offset = Number(buf.readBigUInt64LE(eocd64 + 48));
  }
  const members = {};
  for (let n = 0; n < count; n++) {
    const method = buf.readUInt16LE(offset + 10);
    let compressed = buf.readUInt32LE(offset + 20);
    const nameLen = buf.readUInt16LE(offset + 28);
    const extraLen = buf.readUInt16LE(offset + 30);
    const commentLen = buf.readUInt16LE(offset + 32);
    let local = buf.readUInt32LE(offset + 42);
    const name = buf.toString('utf8', offset + 46, offset + 46 + nameLen);
    let e = offset + 46 + nameLen;  // zip64 extra field: sizes and offset that did not fit
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = buf.readUInt16LE(e);
      const size = buf.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let p = e + 4;
        if (buf.readUInt32LE(offset + 24) === 0xffffffff) p += 8;
        if (compressed === 0xffffffff) { compressed = Number(buf.readBigUInt64LE(p)); p += 8; }
        if (local === 0xffffffff) { local = Number(buf.readBigUInt64LE(p)); }
      }
      e += 4 + size;
    }
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + compressed);
    members[name] = method === 0 ? data : zlib.inflateRawSync(data);
    offset = eEnd + commentLen;
  }
  return members;
}

// ---------------------------------------------------------------- .npy and its pickle

function npyObjectArray(buf) {
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error('not a .npy array');
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  if (!/'descr':\s*'\|O'/.test(header)) throw new Error(`expected an object array, got ${header.trim()}`);
  return unpickle(buf.subarray(start));
}

// The opcodes numpy's pickles of object arrays of int arrays use (protocols 2 to 5).
function unpickle(buf) {
  let i = 0;
  const stack = [];
  const marks = [];
  const memo = new Map();
  const u8 = () => buf[i++];
  const u16 = () => { const v = buf.readUInt16LE(i); i += 2; return v; };
  const u32 = () => { const v = buf.readUInt32LE(i); i += 4; return v; };
  const bytes = n => { const v = buf.subarray(i, i + n); i += n; return v; };
  const popMark = () => { const m = marks.pop(); return stack.splice(m); };
  const line = () => { const j = buf.indexOf(10, i); const s = buf.toString('latin1', i, j); i = j + 1; return s; };
  for (;;) {
    const op = String.fromCharCode(u8());
    switch (op) {
      case '\x80': u8(); break;  // PROTO
      case '\x95': i += 8; break;  // FRAME
      case '\x8c': stack.push(bytes(u8()).toString('utf8')); break;  // SHORT_BINUNICODE
      case 'X': stack.push(bytes(u32()).toString('utf8')); break;  // BINUNICODE
      case 'U': stack.push(bytes(u8())); break;  // SHORT_BINSTRING (bytes, latin1)
      case 'T': stack.push(bytes(u32())); break;  // BINSTRING
      case 'C': stack.push(bytes(u8())); break;  // SHORT_BINBYTES
      case 'B': stack.push(bytes(u32())); break;  // BINBYTES
      case '\x94': memo.set(memo.size, stack[stack.length - 1]); break;  // MEMOIZE
      case 'q': memo.set(u8(), stack[stack.length - 1]); break;  // BINPUT
      case 'r': memo.set(u32(), stack[stack.length - 1]); break;  // LONG_BINPUT
      case 'h': stack.push(memo.get(u8())); break;  // BINGET
      case 'j': stack.push(memo.get(u32())); break;  // LONG_BINGET
      case '\x93': { const name = stack.pop(); const mod = stack.pop(); stack.push({global: `${mod}.${name}`}); break; }
      case 'c': { const mod = line(); const name = line(); stack.push({global: `${mod}.${name}`}); break; }
      case 'K': stack.push(u8()); break;  // BININT1
      case 'M': stack.push(u16()); break;  // BININT2
      case 'J': { const v = buf.readInt32LE(i); i += 4; stack.push(v); break; }  // BININT
      case 'N': stack.push(null); break;
      case '\x88': stack.push(true); break;
      case '\x89': stack.push(false); break;
      case '(': marks.push(stack.length); break;  // MARK
      case ')': stack.push([]); break;  // EMPTY_TUPLE
      case ']': stack.push([]); break;  // EMPTY_LIST
      case 't': stack.push(popMark()); break;  // TUPLE
      case '\x85': stack.push([stack.pop()]); break;  // TUPLE1
      case '\x86': { const b = stack.pop(); const a = stack.pop(); stack.push([a, b]); break; }
      case '\x87': { const c = stack.pop(); const b = stack.pop(); const a = stack.pop(); stack.push([a, b, c]); break; }
      case 'a': { const v = stack.pop(); stack[stack.length - 1].push(v); break; }  // APPEND
      case 'e': { const items = popMark(); stack[stack.length - 1].push(...items); break; }  // APPENDS
      case 'R': {  // REDUCE: numpy's _reconstruct(ndarray, ...) or dtype(name, ...)
        const args = stack.pop();
        const fn = stack.pop();
        if (/multiarray\._reconstruct$/.test(fn.global)) stack.push({array: true});
        else if (fn.global === 'numpy.dtype') stack.push({dtype: args[0]});
        else throw new Error(`pickle asks for ${fn.global}`);
        break;
      }
      case 'b': {  // BUILD: ndarray state (version, shape, dtype, fortran, data) or a dtype's state
        const state = stack.pop();
        const obj = stack[stack.length - 1];
        if (obj.array) {
          const [, shape, dtype, , data] = state;
          obj.shape = shape;
          obj.dtype = dtype;
          obj.data = data;
        } else {
          obj.order = state[1];
        }
        break;
      }
      case '.': return stack.pop();  // STOP
      default: throw new Error(`unsupported pickle opcode ${JSON.stringify(op)} at byte ${i - 1}`);
    }
  }
}

function strokes3(pickled) {
  if (!Array.isArray(pickled.data)) throw new Error('the split is not an object array');
  return pickled.data.map(a => {
    if (a.dtype.dtype !== 'i2' || a.shape.length !== 2 || a.shape[1] !== 3) {
      throw new Error(`a sketch is ${a.dtype.dtype} of shape ${a.shape}, not int16 (n, 3)`);
    }
    const raw = Buffer.from(a.data, 'latin1');
    const rows = [];
    for (let r = 0; r < a.shape[0]; r++) {
      rows.push([0, 1, 2].map(k => raw.readInt16LE(6 * r + 2 * k)));
    }
    return rows;
  });
}

// ---------------------------------------------------------------- Lr

function pointTerms(pdf, dx, dy, penIndex) {
  let density = 0;
  for (let k = 0; k < pdf.pi.length; k++) {
    const sx = pdf.sigmaX[k];
    const sy = pdf.sigmaY[k];
    const rho = pdf.corr[k];
    const zx = (dx - pdf.muX[k]) / sx;
    const zy = (dy - pdf.muY[k]) / sy;
    const oneMinus = 1 - rho * rho;
    const quad = (zx * zx + zy * zy - 2 * rho * zx * zy) / oneMinus;
    density += pdf.pi[k] * Math.exp(-quad / 2) / (2 * Math.PI * sx * sy * Math.sqrt(oneMinus));
  }
  return [-Math.log(density + EPSILON), -Math.log(pdf.pen[penIndex])];
}

function main() {
  const [modelPath, npzPath, split, outPath] = process.argv.slice(2);
  if (!outPath) usage();
  const [info, shapes, weights] = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const model = new ms.SketchRNN(path.basename(modelPath));
  model.instantiateFromJSON(info, shapes, weights);
  model.setPixelFactor(1.0);  // update() divides offsets by scale_factor itself
  const scale = info.scale_factor;
  const maxLen = info.max_seq_len;

  const members = zipMembers(fs.readFileSync(npzPath));
  if (!members[`${split}.npy`]) throw new Error(`${npzPath} has no ${split} split`);
  const all = strokes3(npyObjectArray(members[`${split}.npy`]));
  const kept = all.filter(s => s.length <= maxLen);

  let offset = 0;
  let pen = 0;
  let points = 0;
  const perSketch = [];
  kept.forEach(s => {
    let state = model.update(model.zeroInput(), model.zeroState());
    let sketchOffset = 0;
    let sketchPen = 0;
    s.forEach(([dx, dy, p]) => {
      const pdf = model.getPDF(state, 1.0);
      const [o, q] = pointTerms(pdf, dx / scale, dy / scale, p ? 1 : 0);
      sketchOffset += o;
      sketchPen += q;
      state = model.update([dx, dy, 1 - p, p, 0], state);
    });
    offset += sketchOffset;
    pen += sketchPen;
    points += s.length;
    perSketch.push([s.length, Number(sketchOffset.toPrecision(9)), Number(sketchPen.toPrecision(9))]);
  });
  const denom = kept.length * maxLen;
  const round = x => Number(x.toPrecision(9));
  const out = {
    what: "Magenta's reconstruction loss Lr of a .gen.json model on a sketchrnn .npz split, by @magenta/sketch (JS)",
    model_file: path.basename(modelPath),
    model_info: info,
    data_file: path.basename(npzPath),
    split: split,
    made_with: {
      '@magenta/sketch': sketchPkg.version,
      '@tensorflow/tfjs-core': tfjsPkg.version,
      tfjs_backend: ms.tf.getBackend(),
      node: process.version,
      script: 'tools/sketchrnn_js/reference_lr.js',
    },
    notes: [
      'Offsets in the model\'s own units: .npz offsets / scale_factor (setPixelFactor(1)).',
      'Per point, from getPDF(state, 1.0) before the point is fed: offset = -log(sum_k pi_k N_k + 1e-6), ' +
        'pen = -log(pen probability of the point\'s state); the start token [0,0,1,0,0] is fed first from zeroState().',
      'recon = offset + pen; each is the sum over every real point / (sketches x max_seq_len); ' +
        'sketches longer than max_seq_len are dropped.',
    ],
    sketches: kept.length,
    dropped_too_long: all.length - kept.length,
    points: points,
    max_seq_len: maxLen,
    scale_factor: scale,
    recon: round((offset + pen) / denom),
    offset: round(offset / denom),
    pen: round(pen / denom),
    per_sketch_points_offset_pen: perSketch,
  };
  const text = JSON.stringify(out, null, 1)
    .replace(/\[\s*([-+0-9.eE,\s]+?)\s*\]/g, (m, body) => '[' + body.split(/\s*,\s*/).join(',') + ']');
  fs.writeFileSync(outPath, text + '\n');
  process.stderr.write(`wrote ${outPath}: ${kept.length} sketches (${all.length - kept.length} dropped), ` +
                       `recon ${out.recon} (offset ${out.offset}, pen ${out.pen})\n`);
}

main();
