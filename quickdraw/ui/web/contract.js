// qd's input contract in JavaScript: strokes -> the dataset's 0-255 frame -> simplified -> the official raster
// recipe -> an S x S bitmap, white on black. A line-by-line port of qd's Python (quickdraw/raster/simplify.py
// and simplify_kernel.py, quickdraw/classifier/seen.py, quickdraw/raster/render.py and render_kernel.py):
// the same float64 operations in the same order, so the results are the same numbers, not close ones
// (tests/ui/test_web.py holds the two together on real mirror drawings).
//
//   import {bitmap, simplify, simplifyPartial} from "./contract.js";
//   bitmap(strokes, 28)        // Uint8Array(28 * 28): what the classifier sees of [[xs], [ys]] strokes
//   simplify(rawStrokes)       // the dataset's recipe: to the corner, longest side 255, resampled, RDP, rounded
//   simplifyPartial(strokes)   // resample + RDP + round strokes already in frame units, where they are
//
// Strokes are [[x0, x1, ...], [y0, y1, ...]] (a third row, times, is ignored), y pointing down.

export const FRAME = 255;           // the largest coordinate of a simplified drawing (raster/frame.py)
export const SIDE = 255.0;          // simplify.SIDE
export const SPACING = 1.0;         // simplify.SPACING: resampling step along each stroke
export const EPSILON = 2.0;         // simplify.EPSILON: Ramer-Douglas-Peucker tolerance
export const FRAME_SLACK = 8;       // seen.FRAME_SLACK
export const LINE_DIAMETER = 16.0;  // render.LINE_DIAMETER
export const PADDING = 16.0;        // render.PADDING
export const RENDER_FRAME = 256.0;  // render.FRAME: coordinates 0-255, pixel edges 0-256
const SUBROWS = 15;                 // cairo's samples down each pixel
const SLOPES = 128;                 // band table: slope steps over [-1, 1]

// numpy's rint: round half to even.
export function rint(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

// ------------------------------------------------------------------------------------------ simplify

function asStrokes(strokes) {
  // each non-empty stroke as an array of [x, y] points (raster/simplify.py _as_strokes)
  const out = [];
  for (const stroke of strokes) {
    const xs = stroke[0], ys = stroke[1];
    if (!xs || !ys || xs.length !== ys.length) throw new Error("a stroke must be [xs, ys] lists of numbers of equal length");
    const points = [];
    for (let i = 0; i < xs.length; i++) {
      const x = Number(xs[i]), y = Number(ys[i]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error("stroke coordinates must be finite numbers");
      points.push([x, y]);
    }
    if (points.length) out.push(points);
  }
  return out;
}

export function simplify(rawStrokes) {
  // the dataset's own recipe (simplify.simplify): corner, uniform scale to 255, resample, RDP, round
  const strokes = asStrokes(rawStrokes);
  if (!strokes.length) return [];
  let lx = Infinity, ly = Infinity, hx = -Infinity, hy = -Infinity;
  for (const s of strokes) for (const [x, y] of s) {
    lx = Math.min(lx, x); ly = Math.min(ly, y); hx = Math.max(hx, x); hy = Math.max(hy, y);
  }
  let side = Math.max(hx - lx, hy - ly);
  side = side > 0 ? side : SIDE;  // a single spot stays at the corner
  return strokes.map((s) => simplifyStroke(s.map(([x, y]) => [((x - lx) * SIDE) / side, ((y - ly) * SIDE) / side])));
}

export function simplifyPartial(strokes) {
  // resample and thin strokes already in frame units, keeping their place (simplify.simplify_partial)
  return asStrokes(strokes).map(simplifyStroke);
}

function simplifyStroke(points) {
  const samples = resample(points, SPACING);
  const keep = rdpKeep(samples, EPSILON);
  const xs = [], ys = [];
  for (let i = 0; i < samples.length; i++) {
    if (keep[i]) {
      xs.push(rint(samples[i][0]));
      ys.push(rint(samples[i][1]));
    }
  }
  return [xs, ys];
}

function resample(points, spacing) {
  // points every `spacing` along the stroke from its start, plus its exact last point
  const n = points.length;
  const lengths = new Float64Array(Math.max(n - 1, 0));
  const along = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    const dx = points[i + 1][0] - points[i][0];
    const dy = points[i + 1][1] - points[i][1];
    lengths[i] = Math.sqrt(dx * dx + dy * dy);
    along[i + 1] = along[i] + lengths[i];
  }
  const total = along[n - 1];
  if (total === 0) return [points[0], points[n - 1]];
  const count = Math.ceil(total / spacing);
  const out = new Array(count + 1);
  let seg = 0;
  for (let k = 0; k < count; k++) {
    const at = k * spacing;
    while (seg + 1 < n && along[seg + 1] <= at) seg++;
    const u = (at - along[seg]) / lengths[seg];
    out[k] = [points[seg][0] * (1 - u) + points[seg + 1][0] * u, points[seg][1] * (1 - u) + points[seg + 1][1] * u];
  }
  out[count] = points[n - 1];
  return out;
}

function rdpKeep(points, epsilon) {
  // Ramer-Douglas-Peucker: which points to keep (first and last always)
  const n = points.length;
  const keep = new Uint8Array(n);
  keep[0] = keep[n - 1] = 1;
  const stack = [[0, n - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    if (b - a < 2) continue;
    const dx = points[b][0] - points[a][0], dy = points[b][1] - points[a][1];
    const norm = Math.sqrt(dx * dx + dy * dy);
    let best = -1.0, far = a + 1;
    for (let i = a + 1; i < b; i++) {
      const wx = points[a][0] - points[i][0], wy = points[a][1] - points[i][1];
      const dist = dx === 0 && dy === 0 ? Math.sqrt(wx * wx + wy * wy) : Math.abs(dx * wy - dy * wx) / norm;
      if (dist > best) { best = dist; far = i; }
    }
    if (best > epsilon) {
      keep[far] = 1;
      stack.push([a, far], [far, b]);
    }
  }
  return keep;
}

// ------------------------------------------------------------------------------------------ the frame

export function inDatasetFrame(strokes) {
  // whether strokes look simplified: integers in 0-255, near both axes' 0, the longer side near 255 (seen.py)
  let lx = Infinity, ly = Infinity, high = -Infinity, low = Infinity, any = false;
  for (const [xs, ys] of strokes) {
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i], y = ys[i];
      if (!Number.isInteger(x) || !Number.isInteger(y)) return false;
      lx = Math.min(lx, x); ly = Math.min(ly, y);
      low = Math.min(low, x, y); high = Math.max(high, x, y);
      any = true;
    }
  }
  return any && low >= 0 && high <= FRAME && Math.max(lx, ly) <= FRAME_SLACK && high >= FRAME - FRAME_SLACK;
}

export function datasetFrame(strokes) {
  // the strokes in the dataset's frame: as they are if already there, else simplified (seen.dataset_frame)
  if (!strokes.some(([xs]) => xs.length)) throw new Error("the drawing has no points");
  return inDatasetFrame(strokes) ? strokes : simplify(strokes);
}

// ------------------------------------------------------------------------------------------ rendering

function floorDiv(v, w) {
  // Python's float // (as CPython computes it)
  let mod = v % w;
  let div = (v - mod) / w;
  if (mod && (w < 0) !== (mod < 0)) { mod += w; div -= 1.0; }
  if (div) {
    let f = Math.floor(div);
    if (div - f > 0.5) f += 1.0;
    return f;
  }
  return 0;
}

function pairwiseMean(values, offset) {
  // numpy's mean of SUBROWS (15) float64 values: its 8-way pairwise sum, then / 15
  const r = values;
  let res = ((r[offset] + r[offset + 1]) + (r[offset + 2] + r[offset + 3])) +
            ((r[offset + 4] + r[offset + 5]) + (r[offset + 6] + r[offset + 7]));
  for (let i = 8; i < SUBROWS; i++) res += r[offset + i];
  return res / SUBROWS;
}

const subRow = (k) => (k + 0.5) / SUBROWS;  // (arange(15) + 0.5) / 15

function dotTable(r, steps, half) {
  // table[x * side + y]: coverage of a pixel centred at (x, y) / steps - half from a dot of radius r
  const side = 2 * half + 1;
  const table = new Uint8Array(side * side);
  const inked = new Float64Array(SUBROWS);
  for (let i = 0; i < side; i++) {
    const ex = (i - half) / steps;
    for (let j = 0; j < side; j++) {
      const ey = (j - half) / steps;
      for (let k = 0; k < SUBROWS; k++) {
        const sub = ey + subRow(k) - 0.5;
        const h = Math.sqrt(Math.max(r * r - sub * sub, 0.0));
        inked[k] = Math.max(Math.min(ex + 0.5, h) - Math.max(ex - 0.5, -h), 0);
      }
      table[i * side + j] = rint(pairwiseMean(inked, 0) * 255);
    }
  }
  return table;
}

function bandTable(r, steps, half) {
  // table[(steep * (SLOPES + 1) + slope) * (2 * half + 1) + d]: coverage of a pixel at distance d from a band
  const core = Math.ceil((r + 0.75) * steps);
  const width = 2 * half + 1;
  const table = new Uint8Array(2 * (SLOPES + 1) * width);
  const inked = new Float64Array(SUBROWS);
  for (let steep = 0; steep < 2; steep++) {
    for (let k = 0; k <= SLOPES; k++) {
      const slope = (k * 2) / SLOPES - 1;
      const norm = Math.hypot(1, slope);
      const nu = -slope / norm, nv = 1 / norm;
      const nx = steep ? nv : nu, ny = steep ? nu : nv;
      const level = Math.abs(nx) < 1e-12;
      for (let i = -core; i <= core; i++) {
        const d = i / steps;
        const ex = d * nx, ey = d * ny;
        for (let s = 0; s < SUBROWS; s++) {
          const sub = ey + subRow(s) - 0.5;
          if (level) {
            inked[s] = Math.abs(ny * sub) <= r ? 1 : 0;
          } else {
            const lo = (-r - ny * sub) / nx, hi = (r - ny * sub) / nx;
            inked[s] = Math.max(Math.min(ex + 0.5, Math.max(lo, hi)) - Math.max(ex - 0.5, Math.min(lo, hi)), 0);
          }
        }
        table[(steep * (SLOPES + 1) + k) * width + half + i] = rint(pairwiseMean(inked, 0) * 255);
      }
    }
  }
  return table;
}

let overTable = null;
function over() {
  // table[d << 8 | s]: coverage s painted over d, rounded as pixman does
  if (!overTable) {
    overTable = new Uint8Array(65536);
    for (let d = 0; d < 256; d++) for (let s = 0; s < 256; s++) {
      const x = d * (255 - s) + 128;
      overTable[(d << 8) | s] = s + ((x + (x >> 8)) >> 8);
    }
  }
  return overTable;
}

const geometries = new Map();
export function geometry(size) {
  // per-size constants and coverage tables (render._Geometry)
  if (!geometries.has(size)) {
    const scale = size / (RENDER_FRAME + 2 * PADDING + LINE_DIAMETER);
    const shift = (2 * PADDING + LINE_DIAMETER) / 2;
    const radius = (LINE_DIAMETER / 2) * scale;
    const steps = Math.min(Math.max(floorDiv(160, radius + 1), 8), 64);
    const dotHalf = Math.ceil((radius + 0.75) * steps);
    const bandHalf = Math.ceil((4 * radius + 6) * steps);
    geometries.set(size, {size, scale, shift, radius, steps, dot: Math.min(size, Math.ceil(2 * radius) + 1),
                          dotHalf, dotTable: dotTable(radius, steps, dotHalf), bandHalf,
                          bandTable: bandTable(radius, steps, bandHalf)});
  }
  return geometries.get(size);
}

function paintDot(canvas, px, py, g) {
  const {size, radius, steps, dot, dotHalf, dotTable: table} = g;
  if (!(-radius - 1 < px && px < size + radius + 1 && -radius - 1 < py && py < size + radius + 1)) return;
  const side = 2 * dotHalf + 1;
  const ox = Math.trunc(Math.min(Math.max(Math.floor(px - radius), 0), size - dot));
  const oy = Math.trunc(Math.min(Math.max(Math.floor(py - radius), 0), size - dot));
  const fx = (ox + 0.5 - px) * steps + (dotHalf + 0.5);
  const fy = (oy + 0.5 - py) * steps + (dotHalf + 0.5);
  for (let r = 0; r < dot; r++) {
    const iy = Math.trunc(Math.min(Math.max(fy + r * steps, 0.0), side - 1.0));
    for (let c = 0; c < dot; c++) {
      const ix = Math.trunc(Math.min(Math.max(fx + c * steps, 0.0), side - 1.0));
      const cov = table[ix * side + iy];
      const p = (oy + r) * size + ox + c;
      if (cov > canvas[p]) canvas[p] = cov;
    }
  }
}

function paintBand(canvas, ax, ay, bx, by, g) {
  const {size, radius, steps, bandHalf, bandTable: table} = g;
  const lo = -radius - 1.0, hi = size + radius + 1.0;
  if (!(lo <= Math.min(ax, ay, bx, by) && Math.max(ax, ay, bx, by) <= hi)) {
    let t0 = 0.0, t1 = 1.0;
    for (const [a, b] of [[ax, bx], [ay, by]]) {  // cut the segment to the square around the canvas
      const d = b - a;
      if (d !== 0) {
        const ta = (lo - a) / d, tb = (hi - a) / d;
        t0 = Math.max(t0, Math.min(ta, tb));
        t1 = Math.min(t1, Math.max(ta, tb));
      } else if (!(lo <= a && a <= hi)) {
        return;
      }
    }
    if (t0 > t1) return;
    const dx = bx - ax, dy = by - ay;
    [ax, ay, bx, by] = [ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy];
  }
  const dx = bx - ax, dy = by - ay;
  const length = Math.sqrt(dx * dx + dy * dy);
  if (length <= 1e-6) return;  // a zero-length segment is all dot
  const steep = Math.abs(dy) > Math.abs(dx);
  const [au, av, du, dv] = steep ? [ay, ax, dy, dx] : [ax, ay, dx, dy];
  const slope = dv / du;
  const row = ((steep ? 1 : 0) * (SLOPES + 1) + rint((slope + 1) * (SLOPES / 2))) * (2 * bandHalf + 1);
  const base = row + bandHalf + 0.5;
  const kx = (steps * dy) / length, ky = (-steps * dx) / length;
  const alongX = dx / (dx * dx + dy * dy), alongY = dy / (dx * dx + dy * dy);
  const reach = (radius + 0.75) * Math.sqrt(1 + slope * slope);
  const overhang = ((radius + 0.75) * Math.abs(slope)) / Math.sqrt(1 + slope * slope);
  const u0 = Math.max(Math.ceil(Math.min(au, au + du) - overhang - 0.5), 0);
  const u1 = Math.min(Math.floor(Math.max(au, au + du) + overhang - 0.5), size - 1);
  const kv = steep ? kx : ky, tv = steep ? alongX : alongY;
  for (let u = u0; u <= u1; u++) {
    const centre = av + (u + 0.5 - au) * slope - 0.5;
    const v0 = Math.max(centre - reach, 0.0);
    const v1 = Math.min(centre + reach, size - 1.0);
    if (v0 > v1) continue;
    const vs = Math.ceil(v0), ve = Math.trunc(v1);
    let ex, ey, p, pv;
    if (steep) {
      ex = vs + 0.5 - ax; ey = u + 0.5 - ay; p = u * size + vs; pv = 1;
    } else {
      ex = u + 0.5 - ax; ey = vs + 0.5 - ay; p = vs * size + u; pv = size;
    }
    let index = ex * kx + ey * ky + base;
    let t = ex * alongX + ey * alongY;
    for (let v = vs; v <= ve; v++) {
      if (0 <= t && t <= 1) {  // beyond an end the dots cover it
        const cov = table[Math.trunc(index)];
        if (cov > canvas[p]) canvas[p] = cov;
      }
      index += kv;
      t += tv;
      p += pv;
    }
  }
}

export function render(strokes, size = 28) {
  // one drawing ([[xs], [ys]] strokes in the 0-255 frame) to a Uint8Array(size * size), white on black,
  // by the official recipe (render.render_points and render_kernel.render_drawings)
  const g = geometry(size);
  const out = new Uint8Array(size * size);
  const kept = strokes.filter(([xs]) => xs.length);
  if (!kept.length) return out;
  let mx = -Infinity, my = -Infinity;
  for (const [xs, ys] of kept) for (let i = 0; i < xs.length; i++) { mx = Math.max(mx, xs[i]); my = Math.max(my, ys[i]); }
  const sx = (RENDER_FRAME - mx) / 2 + g.shift;
  const sy = (RENDER_FRAME - my) / 2 + g.shift;
  const scratch = new Uint8Array(size * size);
  const reach = g.radius + 1.0;
  const table = over();
  kept.forEach(([xs, ys], stroke) => {
    const canvas = stroke === 0 ? out : scratch;  // the first stroke goes straight on black
    let lx = Infinity, ly = Infinity, hx = -Infinity, hy = -Infinity;
    for (let i = 0; i < xs.length; i++) {
      const px = (xs[i] + sx) * g.scale, py = (ys[i] + sy) * g.scale;
      lx = Math.min(lx, px); ly = Math.min(ly, py); hx = Math.max(hx, px); hy = Math.max(hy, py);
      paintDot(canvas, px, py, g);
      if (i < xs.length - 1) paintBand(canvas, px, py, (xs[i + 1] + sx) * g.scale, (ys[i + 1] + sy) * g.scale, g);
    }
    if (stroke === 0) return;
    const r0 = Math.trunc(Math.max(ly - reach, 0.0)), r1 = Math.trunc(Math.min(hy + reach, size - 1.0));
    const c0 = Math.trunc(Math.max(lx - reach, 0.0)), c1 = Math.trunc(Math.min(hx + reach, size - 1.0));
    for (let r = r0; r <= r1; r++) {
      for (let p = r * size + c0; p <= r * size + c1; p++) {
        out[p] = table[(out[p] << 8) | scratch[p]];
        scratch[p] = 0;
      }
    }
  });
  return out;
}

export function bitmap(strokes, size = 28) {
  // what the classifier sees of a drawing in any frame (seen.bitmap): the dataset's frame, then the recipe
  return render(datasetFrame(strokes), size);
}
