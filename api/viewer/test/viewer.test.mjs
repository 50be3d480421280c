// Browser test of the onemap viewer (api/viewer/public/) for `node --test`.
//
//   ONEMAP_URL=http://127.0.0.1:8080 node --test api/viewer/test/viewer.test.mjs
//
// ONEMAP_URL (required) is the base URL of a running onemap server; the project's test script
// starts the server and sets it. The viewer's vendored files must be in place first
// (scripts/vendor-viewer.sh, which also installs api/viewer/node_modules); if the server
// embeds api/viewer/public/ in its binary, build it after vendoring. The style checks run without a server.
//
// Other env: CHROMIUM (default /usr/bin/chromium); ONEMAP_ARTIFACTS (default <repo>/tests/artifacts,
// where viewer.png is written). Chromium runs headless with SwiftShader WebGL, a fresh profile,
// and every request that is not to ONEMAP_URL's origin (or data:/blob:) is blocked and fails the test.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, checkStyles, checkRamps } from './validate-style.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.ONEMAP_ARTIFACTS || path.join(root, 'tests', 'artifacts');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];
const IDLE_TIMEOUT = 90_000;

test('styles validate against the MapLibre style spec and cover every layer', () => {
  const problems = checkStyles();
  assert.deepEqual(problems, [], `style problems:\n  ${problems.join('\n  ')}`);
});

test('styles/ramps.json is well formed', () => {
  const problems = checkRamps();
  assert.deepEqual(problems, [], `ramp problems:\n  ${problems.join('\n  ')}`);
});

test('viewer sources reference no external URL', () => {
  for (const f of ['index.html', 'app.js', 'app.css']) {
    const p = path.join(root, 'api', 'viewer', 'public', f);
    assert.ok(fs.existsSync(p), `api/viewer/public/${f} is missing`);
    const hits = fs.readFileSync(p, 'utf8').match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"`)]*/gi) ?? [];
    assert.deepEqual(hits, [], `api/viewer/public/${f} references external URLs`);
  }
});

describe('viewer in headless chromium', () => {
  const base = (process.env.ONEMAP_URL ?? '').replace(/\/+$/, '');
  let layers; // GET /layers
  let context;
  let page;
  let userDataDir;
  let screenshotTaken = false;
  const requests = []; // every URL the browser asked for
  const blocked = []; // URLs off the server's origin (aborted)
  const pageErrors = [];
  const consoleErrors = [];

  const diagnostics = () => [
    pageErrors.length ? `page errors:\n  ${pageErrors.join('\n  ')}` : '',
    consoleErrors.length ? `console errors:\n  ${consoleErrors.slice(0, 20).join('\n  ')}` : '',
  ].filter(Boolean).join('\n');

  let ready = false;
  const requireViewer = () => assert.ok(ready, 'the viewer did not load: see the failure of "viewer loads and the map reaches idle"');

  test('viewer loads and the map reaches idle', async () => {
    assert.ok(base, 'ONEMAP_URL is not set: start the server and run ONEMAP_URL=http://127.0.0.1:PORT node --test api/viewer/test/viewer.test.mjs');
    const origin = new URL(base).origin;

    const get = async (p) => {
      try {
        return await fetch(base + p);
      } catch (e) {
        throw new Error(`cannot reach the server at ONEMAP_URL=${base} (${e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.cause?.message ?? e.message}): is it running?`);
      }
    };
    let res = await get('/layers');
    assert.equal(res.status, 200, `GET ${base}/layers answered ${res.status}`);
    layers = await res.json();
    assert.ok(Array.isArray(layers) && layers.length >= 2, 'GET /layers must return an array of at least two layers');
    res = await get('/static/vendor/maplibre-gl/maplibre-gl.mjs');
    assert.equal(res.status, 200, `GET /static/vendor/maplibre-gl/maplibre-gl.mjs answered ${res.status}: run scripts/vendor-viewer.sh (and rebuild the server if it embeds api/viewer/public)`);
    assert.match(res.headers.get('content-type') ?? '', /javascript/, '.mjs files must be served with a JavaScript content-type (module scripts are MIME-checked)');
    await res.arrayBuffer();
    res = await get('/styles/onemap.json');
    assert.equal(res.status, 200, `GET /styles/onemap.json answered ${res.status}`);
    assert.ok(!(await res.text()).includes('{base}'), 'GET /styles/onemap.json still contains the {base} placeholder');
    res = await get('/');
    assert.equal(res.status, 200, `GET / answered ${res.status}`);
    await res.arrayBuffer();

    assert.ok(fs.existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
    let chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch {
      assert.fail('playwright-core is not installed: run scripts/vendor-viewer.sh (npm ci in api/viewer/)');
    }
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onemap-viewer-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    context.on('request', (r) => requests.push(r.url()));
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (/^(data|blob):/.test(url) || new URL(url).origin === origin) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    page = context.pages()[0] ?? await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

    await page.goto(`${base}/`, { waitUntil: 'load' });
    try {
      await page.waitForFunction(() => window.__map, null, { timeout: 20_000 });
    } catch {
      assert.fail(`window.__map never appeared: the viewer did not start\n${diagnostics()}`);
    }
    // Wait for the map's `idle` event (style, tiles and glyphs loaded, nothing animating).
    const idle = await page.evaluate((ms) => new Promise((resolve) => {
      const map = window.__map;
      const timer = setTimeout(() => resolve(false), ms);
      const done = () => { clearTimeout(timer); resolve(true); };
      if (map.loaded() && !map.isMoving()) done(); else map.once('idle', done);
    }), IDLE_TIMEOUT);
    assert.ok(idle, `the map did not reach 'idle' within ${IDLE_TIMEOUT / 1000} s\n${diagnostics()}`);
    ready = true;
  });

  after(async () => {
    if (page && !screenshotTaken) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'viewer.png') }).catch(() => {});
    }
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  test('renders features from at least two source layers', async () => {
    requireViewer();
    const counts = await page.evaluate(() => {
      const c = {};
      for (const f of window.__map.queryRenderedFeatures()) c[f.sourceLayer] = (c[f.sourceLayer] ?? 0) + 1;
      return c;
    });
    const names = Object.keys(counts).filter((k) => k !== 'undefined');
    assert.ok(names.length >= 2, `rendered source layers: ${JSON.stringify(counts)} (need >= 2)\n${diagnostics()}`);
    const known = new Set(layers.map((l) => l.id));
    for (const n of names) assert.ok(known.has(n), `rendered source layer ${n} is not in GET /layers`);
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  });

  test('layer switcher lists GET /layers and toggles style layers', async () => {
    requireViewer();
    await page.waitForSelector('#layer-list[data-state]', { timeout: 10_000 });
    assert.equal(await page.getAttribute('#layer-list', 'data-state'), 'loaded', await page.textContent('#layer-list'));
    const items = await page.$$eval('#layer-list li[data-layer]', (lis) => lis.map((li) => ({
      id: li.dataset.layer, text: li.textContent, synthetic: !!li.querySelector('.synthetic'),
    })));
    assert.deepEqual(items.map((i) => i.id), layers.map((l) => l.id), 'one switcher entry per layer, in /layers order');
    for (const l of layers) {
      const item = items.find((i) => i.id === l.id);
      assert.ok(item.text.includes(l.title), `switcher entry for ${l.id} shows its title ${l.title}`);
      assert.equal(item.synthetic, !!l.synthetic, `synthetic badge for ${l.id}`);
    }
    // Untick the first layer with style layers, check they are hidden, tick it again.
    const id = await page.$eval('#layer-list input:not([disabled])', (i) => i.dataset.layer);
    const visibility = () => page.evaluate((sl) => window.__map.getStyle().layers
      .filter((l) => l['source-layer'] === sl).map((l) => l.layout?.visibility ?? 'visible'), id);
    await page.click(`#layer-list input[data-layer="${id}"]`);
    assert.ok((await visibility()).every((v) => v === 'none'), `unticking ${id} hides its style layers`);
    await page.click(`#layer-list input[data-layer="${id}"]`);
    assert.ok((await visibility()).every((v) => v === 'visible'), `ticking ${id} shows its style layers again`);
    await page.evaluate(() => new Promise((r) => (window.__map.loaded() ? r() : window.__map.once('idle', r))));
  });

  test('clicking a feature shows its attributes with the schema titles', async () => {
    requireViewer();
    // Find a pixel whose topmost clickable feature has an id, preferring points (least ambiguous).
    const hit = await page.evaluate(() => {
      const map = window.__map;
      // the viewer's clickable layers: those drawing a server layer, labels excepted
      const layerIds = map.getStyle().layers.filter((l) => l['source-layer'] && l.type !== 'symbol').map((l) => l.id);
      const { width, height } = map.getCanvas().getBoundingClientRect();
      let other = null;
      for (let y = 60; y < height - 40; y += 5) {
        for (let x = 280; x < width - 330; x += 5) { // clear of the two panels
          const f = map.queryRenderedFeatures([x, y], { layers: layerIds })[0];
          if (!f || f.id == null) continue;
          const hit = { x, y, layer: f.sourceLayer, id: f.id, type: f.geometry.type, properties: f.properties };
          if (hit.type === 'Point') return hit;
          other ??= hit;
        }
      }
      return other;
    });
    assert.ok(hit, 'no rendered feature with an id found in the map view');

    await page.mouse.move(hit.x, hit.y);
    assert.equal(await page.evaluate(() => window.__map.getCanvas().style.cursor), 'pointer', 'hover cursor over a feature');
    await page.mouse.click(hit.x, hit.y);
    await page.waitForSelector('#feature-panel:not([hidden])', { timeout: 5_000 });
    await page.waitForFunction(() => !['loading', undefined].includes(document.getElementById('feature-panel').dataset.state), null, { timeout: 15_000 });
    const panel = await page.evaluate(() => {
      const p = document.getElementById('feature-panel');
      return {
        state: p.dataset.state, layer: p.dataset.layer, id: p.dataset.id,
        status: document.getElementById('feature-status').textContent,
        title: document.getElementById('feature-title').textContent,
        rows: [...p.querySelectorAll('#feature-attrs dt')].map((dt) => ({ name: dt.dataset.name, title: dt.textContent, value: dt.nextElementSibling.textContent })),
      };
    });
    assert.equal(panel.layer, hit.layer, 'panel shows the clicked layer');
    assert.equal(panel.id, String(hit.id), 'panel shows the clicked feature');
    assert.equal(panel.state, 'loaded', `GET /collections/${hit.layer}/items/${hit.id} failed: ${panel.status}`);
    const info = layers.find((l) => l.id === hit.layer);
    assert.equal(panel.title, info.title, 'panel title is the layer title');
    const scalar = info.properties.filter((p) => typeof hit.properties[p.name] === 'string');
    assert.ok(scalar.length, `no string property of ${hit.layer} in the tile: ${JSON.stringify(hit.properties)}`);
    for (const p of scalar) {
      const row = panel.rows.find((r) => r.name === p.name);
      assert.ok(row, `attribute ${p.name} (${p.title}) missing from the panel: ${JSON.stringify(panel.rows)}`);
      assert.equal(row.title, p.title ?? p.name, `attribute ${p.name} is labelled with its schema title`);
      if (p.type !== 'string_list') assert.equal(row.value, hit.properties[p.name], `value of ${p.name}`);
    }

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'viewer.png') });
    screenshotTaken = true;
  });

  test('no request left the machine', () => {
    requireViewer();
    assert.deepEqual(blocked, [], 'requests to other origins (blocked)');
    const origin = new URL(base).origin;
    const off = requests.filter((u) => !/^(data|blob):/.test(u) && new URL(u).origin !== origin);
    assert.deepEqual(off, [], 'requests off the ONEMAP_URL origin');
    assert.ok(requests.some((u) => /\.mvt(\?|$)/.test(u)), `no tile request was seen (request tracking broken?): ${requests.join(' ')}`);
  });
});
