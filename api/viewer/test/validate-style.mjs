// Checks styles/*.json: every MapLibre style validates against @maplibre/maplibre-gl-style-spec
// (the library behind gl-style-validate), both as written and with "{base}" substituted the way
// the server does; onemap.json draws every layer of data/layers/ from the composite source; no
// URL points off the server; ramps.json is well formed.
//
// CLI: node api/viewer/test/validate-style.mjs    (exit 1 and one line per problem on failure)
// The browser test (viewer.test.mjs) imports checkStyles() and checkRamps().
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';

const here = path.dirname(fileURLToPath(import.meta.url)); // api/viewer/test
export const root = path.resolve(here, '..', '..', '..');
const stylesDir = path.join(root, 'styles');
const specDir = path.join(here, '..', 'node_modules', '@maplibre', 'maplibre-gl-style-spec');

/** Output of the style spec's own CLI, gl-style-validate (reports line numbers), or '' if clean. */
function glStyleValidate(file) {
  const bin = path.join(specDir, JSON.parse(fs.readFileSync(path.join(specDir, 'package.json'), 'utf8')).bin['gl-style-validate']);
  try {
    execFileSync(process.execPath, [bin, file], { encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (e) {
    return (e.stdout || e.stderr || e.message).trim();
  }
}

/** Replace "{base}" in every string value, as the server does. */
export const substituteBase = (v, base) => (typeof v === 'string' ? v.replaceAll('{base}', base)
  : Array.isArray(v) ? v.map((x) => substituteBase(x, base))
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteBase(x, base)])) : v);

const strings = (v, out = []) => {
  if (typeof v === 'string') out.push(v);
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
};

export function layerIds() {
  return fs.readdirSync(path.join(root, 'data', 'layers')).filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(root, 'data', 'layers', f), 'utf8')).id).sort();
}

/** Problems found in the MapLibre styles of styles/ (every *.json but ramps.json). */
export function checkStyles() {
  const problems = [];
  const files = fs.readdirSync(stylesDir).filter((f) => f.endsWith('.json') && f !== 'ramps.json');
  if (!files.includes('onemap.json')) problems.push('styles/onemap.json is missing');
  for (const f of files) {
    let style;
    try {
      style = JSON.parse(fs.readFileSync(path.join(stylesDir, f), 'utf8'));
    } catch (e) {
      problems.push(`styles/${f}: not JSON: ${e.message}`);
      continue;
    }
    const cli = glStyleValidate(path.join(stylesDir, f));
    if (cli) problems.push(...cli.split('\n').map((l) => `gl-style-validate: ${l.replaceAll(root + path.sep, '')}`));
    for (const [what, s] of [['as written', style], ['with {base} substituted', substituteBase(style, 'http://127.0.0.1:8080')]]) {
      for (const e of validateStyleMin(s)) problems.push(`styles/${f} (${what}): ${e.message}`);
    }
    for (const s of strings(style)) {
      if (/^(https?:)?\/\//i.test(s)) problems.push(`styles/${f}: absolute URL ${s} (use {base}/…, never an external host)`);
    }
    for (const [id, src] of Object.entries(style.sources ?? {})) {
      const u = src.url ?? src.tiles?.[0];
      if (typeof u === 'string' && !u.startsWith('{base}/')) problems.push(`styles/${f}: source ${id} URL must start with {base}/: ${u}`);
    }
    if (style.glyphs && !style.glyphs.startsWith('{base}/fonts/')) problems.push(`styles/${f}: glyphs must be {base}/fonts/…`);
  }
  // The default style covers every layer, all from the one composite source.
  const onemapPath = path.join(stylesDir, 'onemap.json');
  if (fs.existsSync(onemapPath)) {
    const style = JSON.parse(fs.readFileSync(onemapPath, 'utf8'));
    const src = style.sources?.onemap;
    const m = typeof src?.url === 'string' && src.url.match(/^\{base\}\/tiles\/([\w,]+)\.json$/);
    if (!m) problems.push('styles/onemap.json: source "onemap" must be {"type":"vector","url":"{base}/tiles/a,b,….json"}');
    const inUrl = new Set(m ? m[1].split(',') : []);
    const drawn = new Set(style.layers.filter((l) => l.source === 'onemap').map((l) => l['source-layer']));
    for (const id of layerIds()) {
      if (!inUrl.has(id)) problems.push(`styles/onemap.json: layer ${id} missing from the onemap source URL`);
      if (!drawn.has(id)) problems.push(`styles/onemap.json: no style layer draws source-layer ${id}`);
    }
    for (const id of drawn) if (!inUrl.has(id)) problems.push(`styles/onemap.json: source-layer ${id} is not in the source URL`);
    if (style.name !== 'one-map') problems.push('styles/onemap.json: name must be "one-map"');
  }
  return problems;
}

/** Problems found in styles/ramps.json. */
export function checkRamps() {
  const problems = [];
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(path.join(stylesDir, 'ramps.json'), 'utf8'));
  } catch (e) {
    return [`styles/ramps.json: ${e.message}`];
  }
  const ramps = Object.entries(doc.ramps ?? {});
  if (ramps.length < 5) problems.push('styles/ramps.json: expected at least 5 ramps');
  for (const [name, r] of ramps) {
    if (!r.source) problems.push(`ramps.${name}: source missing`);
    const classes = Object.entries(r.classes ?? {});
    if (!classes.length) problems.push(`ramps.${name}: no classes`);
    for (const [n, colours] of classes) {
      const k = Number(n);
      if (!(k >= 3 && k <= 9)) problems.push(`ramps.${name}.classes.${n}: class counts must be 3–9`);
      if (!Array.isArray(colours) || colours.length !== k) problems.push(`ramps.${name}.classes.${n}: expected ${k} colours`);
      else for (const c of colours) if (!/^#[0-9a-f]{6}$/i.test(c)) problems.push(`ramps.${name}.classes.${n}: bad colour ${c}`);
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = [...checkStyles(), ...checkRamps()];
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} problem(s)` : 'styles OK');
  process.exit(problems.length ? 1 : 0);
}
