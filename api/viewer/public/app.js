// onemap viewer: MapLibre map + layer switcher + attribute panel. No build step.
// API root = the parent of /static/, so the viewer also works behind a path prefix.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const API = new URL('../', import.meta.url).href.replace(/\/$/, '');
const STYLE = `${API}/styles/onemap.json`;
const CJK_FONTS = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";
const GEOMETRY_NAMES = {
  Point: '点', MultiPoint: '多点', LineString: '线', MultiLineString: '多线', Polygon: '面', MultiPolygon: '多面',
};

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

const map = new maplibregl.Map({
  container: 'map',
  style: STYLE,
  center: [121.47, 31.23],
  zoom: 8.5,
  localIdeographFontFamily: CJK_FONTS,
  attributionControl: { compact: true },
  hash: true, // #zoom/lat/lng in the address bar, for sharing a view
  // Overscale past a source's maxzoom instead of slicing the parent tile: the district labels
  // come from a maxzoom-6 source so each district is labelled once, not once per tile.
  zoomLevelsToOverscale: undefined,
});
window.__map = map;
map.addControl(new maplibregl.NavigationControl(), 'bottom-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
map.on('error', (e) => console.error('map error:', e.error?.message ?? e));

// ---- layers ------------------------------------------------------------------------------
let layerInfo = new Map(); // layer id -> entry of GET /layers
// Clickable style layers: all that draw a layer of the server, except labels (which would hide
// the points under them).
let interactive = [];
const styleLoaded = new Promise((resolve) => map.once('style.load', () => {
  interactive = map.getStyle().layers.filter((l) => l['source-layer'] && l.type !== 'symbol').map((l) => l.id);
  resolve();
}));

/** Style layers drawing a given source layer (from any of the server's vector sources). */
const styleLayersOf = (sourceLayer) => map.getStyle().layers.filter((l) => l['source-layer'] === sourceLayer);

function setVisible(sourceLayer, visible) {
  for (const l of styleLayersOf(sourceLayer)) {
    map.setLayoutProperty(l.id, 'visibility', visible ? 'visible' : 'none');
  }
  if (!visible && selected?.layer === sourceLayer) closeFeature();
}

function renderLayerList(layers) {
  const list = $('layer-list');
  list.replaceChildren();
  for (const info of layers) {
    const styled = styleLayersOf(info.id);
    const visible = styled.some((l) => (l.layout?.visibility ?? 'visible') === 'visible');
    const box = el('input', { type: 'checkbox', checked: styled.length > 0 && visible, disabled: !styled.length });
    box.dataset.layer = info.id;
    box.addEventListener('change', () => setVisible(info.id, box.checked));
    const label = el('label', { title: info.description ?? '' }, box,
      el('span', { className: 'title', textContent: info.title ?? info.id }),
      el('span', { className: 'count', textContent: Number(info.count ?? 0).toLocaleString('zh-CN') }));
    const li = el('li', { className: styled.length ? '' : 'unstyled' }, label);
    li.dataset.layer = info.id;
    if (!styled.length) label.title = '当前样式中没有此图层';
    if (info.synthetic) {
      li.append(el('span', { className: 'synthetic', textContent: '合成示例数据 / synthetic', title: info.provenance ?? '' }));
    }
    list.append(li);
  }
  list.dataset.state = 'loaded';
}

async function fetchJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${url}`);
  return res.json();
}

Promise.all([fetchJson(`${API}/layers`), styleLoaded])
  .then(([layers]) => {
    layerInfo = new Map(layers.map((l) => [l.id, l]));
    renderLayerList(layers);
  })
  .catch((err) => {
    console.error(err);
    const list = $('layer-list');
    list.replaceChildren(el('li', { className: 'error', textContent: `图层列表加载失败：${err.message}` }));
    list.dataset.state = 'error';
  });

$('layers-toggle').addEventListener('click', (e) => {
  const list = $('layer-list');
  list.hidden = !list.hidden;
  e.currentTarget.setAttribute('aria-expanded', String(!list.hidden));
  e.currentTarget.textContent = list.hidden ? '+' : '−';
});

// ---- feature panel -----------------------------------------------------------------------
let selected = null; // {layer, id}

function formatValue(value, type) {
  if (value == null || value === '') return '—';
  if (Array.isArray(value)) return value.join('、');
  if (typeof value === 'object' && value.type) { // geometry-valued property (e.g. 四至范围)
    const points = JSON.stringify(value.coordinates ?? []).match(/\[-?\d/g)?.length ?? 0;
    return `${GEOMETRY_NAMES[value.type] ?? value.type}（${points} 个坐标点）`;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  if (type === 'number' && typeof value === 'number') return value.toLocaleString('zh-CN', { maximumFractionDigits: 6 });
  return String(value);
}

function showAttributes(layer, properties) {
  const schema = layerInfo.get(layer)?.properties ?? [];
  const known = new Set(schema.map((p) => p.name));
  const rows = [
    ...schema.filter((p) => p.name in properties).map((p) => [p.name, p.title ?? p.name, properties[p.name], p.type]),
    ...Object.keys(properties).filter((k) => !known.has(k)).map((k) => [k, k, properties[k], undefined]),
  ];
  $('feature-attrs').replaceChildren(...rows.flatMap(([name, title, value, type]) => {
    const dt = el('dt', { textContent: title, title: name });
    const dd = el('dd', { textContent: formatValue(value, type) });
    dt.dataset.name = dd.dataset.name = name;
    return [dt, dd];
  }));
}

function highlight(feature) {
  if (map.getLayer('selection')) map.removeLayer('selection');
  if (!feature) return;
  const isPoint = /Point/.test(feature.geometry.type);
  map.addLayer({
    id: 'selection',
    type: isPoint ? 'circle' : 'line',
    source: feature.source,
    'source-layer': feature.sourceLayer,
    filter: ['==', ['id'], feature.id],
    paint: isPoint
      ? { 'circle-radius': 10, 'circle-opacity': 0, 'circle-stroke-color': '#00a2c7', 'circle-stroke-width': 3 }
      : { 'line-color': '#00a2c7', 'line-width': 3.5 },
  });
}

function closeFeature() {
  selected = null;
  highlight(null);
  $('feature-panel').hidden = true;
}

async function openFeature(feature) {
  const layer = feature.sourceLayer;
  const id = feature.id;
  const panel = $('feature-panel');
  selected = { layer, id };
  panel.hidden = false;
  panel.dataset.layer = layer;
  panel.dataset.id = id ?? '';
  panel.dataset.state = 'loading';
  $('feature-title').textContent = layerInfo.get(layer)?.title ?? layer;
  $('feature-status').textContent = '正在加载属性…';
  showAttributes(layer, feature.properties); // tile attributes first, replaced by the full record
  highlight(id == null ? null : feature);
  if (id == null) {
    $('feature-status').textContent = '该要素没有 ID，仅显示瓦片中的属性。';
    panel.dataset.state = 'tile-only';
    return;
  }
  try {
    const full = await fetchJson(`${API}/collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(id)}`);
    if (selected?.layer !== layer || selected?.id !== id) return; // another feature was clicked meanwhile
    showAttributes(layer, full.properties ?? {});
    $('feature-status').textContent = '';
    panel.dataset.state = 'loaded';
  } catch (err) {
    if (selected?.layer !== layer || selected?.id !== id) return;
    $('feature-status').textContent = `无法获取完整属性（${err.message}），显示瓦片中的属性。`;
    panel.dataset.state = 'error';
  }
}

$('feature-close').addEventListener('click', closeFeature);
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeFeature(); });

// ---- interaction -------------------------------------------------------------------------
// queryRenderedFeatures lists the topmost feature first.
const featureAt = (point) => (interactive.length ? map.queryRenderedFeatures(point, { layers: interactive })[0] ?? null : null);

map.on('click', (e) => {
  const f = featureAt(e.point);
  if (f) openFeature(f);
  else closeFeature();
});
map.on('mousemove', (e) => {
  map.getCanvas().style.cursor = featureAt(e.point) ? 'pointer' : '';
});
map.on('mouseout', () => { map.getCanvas().style.cursor = ''; });
