// The Node half of run.sh: times gcoord on the points written by the Rust example
// `gcoord_compare`, compares gcoord's outputs with onemap-coord's, and prints the speed ratio.
// gcoord's GCJ-02 inverse stops at a 1e-6 degree threshold and its BD-09 inverse is the
// one-step formula, so differences on the inverse conversions are reported, not failed.
'use strict';

const fs = require('fs');
const path = require('path');
const gcoord = require('gcoord');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node compare.js DIR  (DIR written by the gcoord_compare example)');
  process.exit(2);
}
const rust = JSON.parse(fs.readFileSync(path.join(dir, 'rust.json'), 'utf8'));
const n = rust.n;

function read(name) {
  const b = fs.readFileSync(path.join(dir, name));
  // Copy into an aligned buffer (a Buffer's offset need not be a multiple of 8).
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  if (out.length !== 2 * n) throw new Error(`${name}: expected ${2 * n} values, got ${out.length}`);
  return out;
}

const conversions = [
  ['wgs84_to_gcj02', 'wgs84', gcoord.WGS84, gcoord.GCJ02],
  ['gcj02_to_wgs84', 'gcj02', gcoord.GCJ02, gcoord.WGS84],
  ['wgs84_to_bd09', 'wgs84', gcoord.WGS84, gcoord.BD09],
  ['bd09_to_wgs84', 'bd09', gcoord.BD09, gcoord.WGS84],
];

function run(input, from, to, out) {
  for (let i = 0; i < n; i++) {
    const r = gcoord.transform([input[2 * i], input[2 * i + 1]], from, to);
    out[2 * i] = r[0];
    out[2 * i + 1] = r[1];
  }
}

console.log(`gcoord ${require('gcoord/package.json').version} on node ${process.version}, ${n} points, one core (best of 3):`);
const rows = [];
for (const [name, src, from, to] of conversions) {
  const input = read(`${src}.f64`);
  const ours = read(`rust_${name}.f64`);
  const out = new Float64Array(2 * n);
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const t0 = process.hrtime.bigint();
    run(input, from, to, out);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, s);
  }
  let maxDiff = 0;
  let at = 0;
  for (let i = 0; i < 2 * n; i++) {
    const d = Math.abs(out[i] - ours[i]);
    if (d > maxDiff) {
      maxDiff = d;
      at = i >> 1;
    }
  }
  const r = rust[name];
  rows.push({
    conversion: name,
    'gcoord ns/pt': +(best * 1e9 / n).toFixed(1),
    'rust batch ns/pt': +(r.batch_s * 1e9 / n).toFixed(1),
    'rust per-call ns/pt': +(r.single_s * 1e9 / n).toFixed(1),
    'speed-up (batch)': +(best / r.batch_s).toFixed(1),
    'speed-up (per-call)': +(best / r.single_s).toFixed(1),
    'max |Δ| deg': maxDiff.toExponential(2),
    '≈ m': (maxDiff * 111320).toExponential(2),
    'worst point': at,
  });
}
console.table(rows);
console.log('speed-up = gcoord time / onemap-coord time on the same points; Δ = gcoord − onemap-coord.');
