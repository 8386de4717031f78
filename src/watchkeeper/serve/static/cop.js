// The common operational picture: released events, vessels and tracks of one partner on an
// offline MapLibre map. Every API call carries the partner's key as a Bearer header (no
// cookies); what the partner may see is decided by the service, never here.
'use strict';

(function () {
  const KEY_STORE = 'watchkeeper.key';
  const SEA = '#dcebf5';
  const LAND = '#e8e1cf';
  const TRACK = '#1f4e9c';
  const PAGE_LIMIT = 1000; // features per request; rel=next links are followed
  const MAX_PAGES = 50; // at most PAGE_LIMIT * MAX_PAGES features of a collection
  const ZONE_COLOURS = { sts: '#e6550d', dprk: '#b2182b' };

  const $ = (id) => document.getElementById(id);
  const state = {
    key: null, me: null, types: [], colours: {}, events: [], vessels: [], tracks: [],
    alerts: [], zones: null, enabled: new Set(), minRisk: 0, until: null, span: 0,
    range: [0, 0], selected: null, errors: [],
  };
  const cop = { state, map: null, ready: null };
  // resolves once the map has drawn everything it was given (a repaint, then 'idle')
  cop.settled = () => new Promise((resolve) => {
    cop.map.once('idle', resolve);
    cop.map.triggerRepaint();
  });
  window.cop = cop;

  // ---- elements built with textContent only (API text is never parsed as HTML) ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'class') node.className = v;
      else if (k === 'style') node.setAttribute('style', v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (k.startsWith('data-')) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function status(text, isError) {
    const s = $('status');
    s.textContent = text;
    s.className = isError ? 'error' : '';
  }

  // Display bands of the 0-100 risk (docs/risk.md): 70 is a sanctions match alone ("alone
  // it makes a vessel high"); 40 and 20 split the rest for the eye only.
  function riskColour(risk) {
    if (risk === null || risk === undefined) return '#8a8f98';
    if (risk >= 70) return '#b2182b';
    if (risk >= 40) return '#ef8a62';
    if (risk >= 20) return '#f4c542';
    return '#4d9221';
  }

  function fmtTime(iso) {
    if (!iso) return '?';
    return iso.replace('T', ' ').replace(/:\d\d(\.\d+)?(Z|\+00:00)$/, 'Z');
  }

  function markingBadge(marking) {
    const m = marking || {};
    const tlp = String(m.tlp || 'UNMARKED').toUpperCase();
    const rel = Array.isArray(m.rel_to) ? m.rel_to.join(', ') : '';
    const cls = 'tlp tlp-' + tlp.toLowerCase().replace('+', '-');
    return el('span', { class: 'marking', title: 'marking' },
      el('span', { class: cls }, 'TLP:' + tlp),
      rel ? el('span', { class: 'relto' }, 'REL TO ' + rel) : null);
  }

  // ---- the API: Bearer key on every call, no cookies ----
  class AuthError extends Error {}

  async function api(path, opts) {
    const o = opts || {};
    const r = await fetch(path, {
      method: o.method || 'GET',
      headers: { Authorization: 'Bearer ' + state.key, Accept: o.accept || 'application/json' },
      credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
    });
    if (r.status === 401 || r.status === 403) throw new AuthError(path + ': HTTP ' + r.status);
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r;
  }

  function localPath(href) {
    // a next link as a path on this service (never another host)
    const u = new URL(href, window.location.href);
    return u.pathname + u.search;
  }

  async function features(path) {
    const out = [];
    let url = path;
    for (let page = 0; url && page < MAX_PAGES; page += 1) {
      const fc = await (await api(url)).json();
      out.push(...(fc.features || []));
      const next = (fc.links || []).find((l) => l.rel === 'next');
      url = next && (fc.features || []).length ? localPath(next.href) : null;
    }
    return out;
  }

  // ---- the map ----
  function emptyFc() { return { type: 'FeatureCollection', features: [] }; }

  function baseStyle() {
    return {
      version: 8,
      sources: {
        land: { type: 'geojson', data: '/static/land.geojson' },
        zones: { type: 'geojson', data: emptyFc() },
        tracks: { type: 'geojson', data: emptyFc() },
        events: { type: 'geojson', data: emptyFc() },
        vessels: { type: 'geojson', data: emptyFc() },
      },
      layers: [
        { id: 'sea', type: 'background', paint: { 'background-color': SEA } },
        { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': LAND } },
        { id: 'coast', type: 'line', source: 'land',
          paint: { 'line-color': '#9b9484', 'line-width': 0.6 } },
        { id: 'zones-fill', type: 'fill', source: 'zones',
          paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.07 } },
        { id: 'zones-line', type: 'line', source: 'zones',
          paint: { 'line-color': ['get', 'colour'], 'line-width': 1.2,
            'line-dasharray': [3, 2] } },
        { id: 'tracks', type: 'line', source: 'tracks',
          paint: { 'line-color': TRACK, 'line-width': 1.6, 'line-opacity': 0.75 } },
        { id: 'events', type: 'circle', source: 'events',
          paint: { 'circle-radius': 6, 'circle-color': ['get', 'colour'],
            'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.2 } },
        { id: 'vessels', type: 'circle', source: 'vessels',
          paint: { 'circle-radius': 8, 'circle-color': ['get', 'colour'],
            'circle-stroke-color': '#1b1f24',
            'circle-stroke-width': ['case', ['get', 'selected'], 3, 1.5] } },
      ],
    };
  }

  function initMap() {
    const map = new maplibregl.Map({
      container: 'map', style: baseStyle(), center: [124, 33], zoom: 3.5,
      attributionControl: { compact: true, customAttribution: 'Natural Earth via world-atlas' },
      fadeDuration: 0, preserveDrawingBuffer: true,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'nautical' }), 'bottom-left');
    for (const layer of ['events', 'vessels', 'tracks']) {
      map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
    }
    map.on('click', 'vessels', (e) => openVessel(e.features[0].properties.mmsi));
    map.on('click', 'events', (e) => eventPopup(e.features[0].properties.event_id, e.lngLat));
    map.on('click', 'tracks', (e) => {
      const top = map.queryRenderedFeatures(e.point, { layers: ['events', 'vessels'] });
      if (!top.length) trackPopup(e.features[0].properties.track_index, e.lngLat);
    });
    cop.map = map;
    return new Promise((resolve) => map.on('load', () => resolve(map)));
  }

  function setData(source, fc) {
    const src = cop.map && cop.map.getSource(source);
    if (src) src.setData(fc);
  }

  // ---- filters ----
  function eventTime(p) { return Date.parse(p.start); }

  function visible(p) {
    if (!state.enabled.has(p.event_type)) return false;
    if ((p.risk === null || p.risk === undefined ? 0 : p.risk) < state.minRisk) return false;
    const t = eventTime(p);
    if (state.until !== null && !Number.isNaN(t)) {
      if (t > state.until) return false;
      if (state.span > 0 && t < state.until - state.span) return false;
    }
    return true;
  }

  function render() {
    const shown = state.events.filter((f) => visible(f.properties));
    setData('events', {
      type: 'FeatureCollection',
      features: shown.map((f) => ({
        type: 'Feature', geometry: f.geometry,
        properties: { event_id: f.properties.event_id, event_type: f.properties.event_type,
          colour: state.colours[f.properties.event_type] || '#000000' },
      })),
    });
    const vessels = state.vessels.filter((f) => (f.properties.risk || 0) >= state.minRisk);
    setData('vessels', {
      type: 'FeatureCollection',
      features: vessels.filter((f) => f.geometry).map((f) => ({
        type: 'Feature', geometry: f.geometry,
        properties: { mmsi: f.properties.mmsi, colour: riskColour(f.properties.risk),
          selected: f.properties.mmsi === state.selected },
      })),
    });
    const tracks = $('show-tracks').checked ? state.tracks.filter((f) => {
      const t = Date.parse(f.properties.start);
      return state.until === null || Number.isNaN(t) || t <= state.until;
    }) : [];
    setData('tracks', { type: 'FeatureCollection', features: tracks.map((f) => ({
      type: 'Feature', geometry: f.geometry,
      properties: { track_index: state.tracks.indexOf(f) } })) });
    setData('zones', $('show-zones').checked && state.zones ? state.zones : emptyFc());
    renderAlerts();
    document.body.dataset.shownEvents = String(shown.length);
  }

  function renderAlerts() {
    const list = $('alerts');
    const byId = new Map(state.events.map((f) => [f.properties.event_id, f]));
    const items = state.alerts.length ? state.alerts
      : state.events.map((f) => ({ ...f.properties, lon: f.geometry && f.geometry.coordinates[0],
        lat: f.geometry && f.geometry.coordinates[1] }));
    const shown = items.filter(visible).sort((a, b) => eventTime(b) - eventTime(a));
    $('alert-count').textContent = '(' + shown.length + ' of ' + items.length + ')';
    list.replaceChildren(...shown.map((a) => el('li', {
      'data-event-id': a.event_id,
      'data-mmsi': [a.mmsi, a.other_mmsi].filter((m) => m !== null && m !== undefined).join(' '),
      class: state.selected === a.mmsi ? 'selected' : '',
      onclick: () => {
        const f = byId.get(a.event_id);
        const at = f && f.geometry ? f.geometry.coordinates : [a.lon, a.lat];
        if (at[0] !== undefined && at[0] !== null) {
          cop.map.flyTo({ center: at, zoom: Math.max(cop.map.getZoom(), 6) });
        }
        openVessel(a.mmsi);
      },
    },
    el('div', { class: 'alert-head' },
      el('span', { class: 'swatch', style: 'background:' + (state.colours[a.event_type] || '#000') }),
      a.event_type, riskBadge(a.risk), markingBadge(a.marking)),
    el('div', {}, a.summary || ''),
    el('div', { class: 'alert-meta' }, fmtTime(a.start) + ' · MMSI ' + a.mmsi
      + (a.other_mmsi ? ' & ' + a.other_mmsi : '')
      + ' · confidence ' + (a.confidence === null || a.confidence === undefined
        ? '?' : Number(a.confidence).toFixed(2))))));
  }

  function riskBadge(risk) {
    const text = risk === null || risk === undefined ? 'risk ?' : 'risk ' + Math.round(risk);
    return el('span', { class: 'risk', style: 'background:' + riskColour(risk) }, text);
  }

  // ---- popups and the vessel panel ----
  function eventPopup(eventId, lngLat) {
    const f = state.events.find((e) => e.properties.event_id === eventId);
    if (!f) return;
    const p = f.properties;
    const vesselButton = (m) => el('button', { class: 'link', onclick: () => openVessel(m) },
      String(m));
    const node = el('div', { class: 'popup' },
      el('h4', {}, el('span', { class: 'swatch', style: 'background:' + state.colours[p.event_type] }),
        ' ', p.event_type),
      el('p', {}, markingBadge(p.marking)),
      el('p', {}, p.summary || ''),
      el('p', { class: 'muted' }, fmtTime(p.start) + ' to ' + fmtTime(p.end)),
      el('p', {}, 'vessel ', vesselButton(p.mmsi),
        p.other_mmsi ? [' with ', vesselButton(p.other_mmsi)] : null));
    new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(lngLat).setDOMContent(node)
      .addTo(cop.map);
  }

  function trackPopup(index, lngLat) {
    const f = state.tracks[index];
    if (!f) return;
    const p = f.properties;
    const node = el('div', { class: 'popup' },
      el('h4', {}, 'Track of ',
        el('button', { class: 'link', onclick: () => openVessel(p.mmsi) }, String(p.mmsi))),
      el('p', {}, markingBadge(p.marking)),
      el('p', { class: 'muted' }, fmtTime(p.start) + ' to ' + fmtTime(p.end)
        + (p.n_points ? ' · ' + p.n_points + ' positions' : '')));
    new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(lngLat).setDOMContent(node)
      .addTo(cop.map);
  }

  async function openReport(url, mmsi, button) {
    // the report needs the Bearer key: fetch it, then open the HTML from a blob URL
    button.disabled = true;
    try {
      const r = await api(localPath(url), { accept: 'text/html' });
      const blob = new Blob([await r.text()], { type: 'text/html' });
      const href = URL.createObjectURL(blob);
      const link = el('a', { href, download: 'case-' + mmsi + '.html' }, 'save the report');
      button.after(' ', link);
      window.open(href, '_blank', 'noopener');
    } catch (err) {
      status('report of ' + mmsi + ': ' + err.message, true);
    } finally {
      button.disabled = false;
    }
  }

  function openVessel(mmsiValue) {
    const mmsi = Number(mmsiValue);
    state.selected = mmsi;
    const v = state.vessels.find((f) => Number(f.properties.mmsi) === mmsi);
    const events = state.events.filter((f) => Number(f.properties.mmsi) === mmsi
      || Number(f.properties.other_mmsi) === mmsi);
    const body = $('vessel-body');
    const parts = [];
    if (v) {
      const p = v.properties;
      parts.push(el('h2', {}, p.name || 'MMSI ' + p.mmsi), markingBadge(p.marking),
        el('dl', {},
          el('dt', {}, 'MMSI'), el('dd', {}, String(p.mmsi)),
          el('dt', {}, 'IMO'), el('dd', {}, p.imo ? String(p.imo) : 'unknown'),
          el('dt', {}, 'flag'), el('dd', {}, p.flag || 'unknown'),
          el('dt', {}, 'ship type'), el('dd', {}, p.ship_type === null
            || p.ship_type === undefined ? 'unknown' : String(p.ship_type)),
          el('dt', {}, 'last seen'), el('dd', {}, fmtTime(p.last_seen)),
          el('dt', {}, 'risk'), el('dd', {}, riskBadge(p.risk))));
      const reasons = p.reasons || [];
      parts.push(el('h3', {}, 'Why this risk'), reasons.length
        ? el('table', { id: 'reasons' }, reasons.map((r) => el('tr', { 'data-key': r.key },
          el('td', { class: 'pts' }, '+' + r.points), el('td', {}, r.text || r.key))))
        : el('p', { class: 'muted' }, 'No risk reason.'));
      const sanctions = p.sanctions || [];
      parts.push(el('h3', {}, 'Sanctions'), sanctions.length
        ? el('div', { id: 'sanctions' }, sanctions.map((s) => el('div', { class: 'sanction' },
          el('strong', {}, s.list + ': ' + s.entity), ' (' + s.match + ')',
          el('p', {}, s.explanation))))
        : el('p', { class: 'muted' }, 'No sanctions list match.'));
      if (p.report_url) {
        const button = el('button', { type: 'button', id: 'open-report' }, 'Open case report');
        button.addEventListener('click', () => openReport(p.report_url, p.mmsi, button));
        parts.push(el('h3', {}, 'Case report'), el('p', {}, button));
      }
    } else {
      parts.push(el('h2', {}, 'MMSI ' + mmsi),
        el('p', { class: 'muted' }, 'No vessel case is released to you for this MMSI; '
          + 'only the events below are.'));
    }
    parts.push(el('h3', {}, 'Events (' + events.length + ')'),
      el('ul', {}, events.map((f) => el('li', { 'data-event-id': f.properties.event_id },
        el('span', { class: 'swatch', style: 'background:' + state.colours[f.properties.event_type] }),
        ' ' + f.properties.event_type + ' ' + fmtTime(f.properties.start) + ' ',
        markingBadge(f.properties.marking)))));
    body.replaceChildren(...parts);
    $('vessel').hidden = false;
    document.body.dataset.vessel = String(mmsi);
    render();
    if (cop.map) cop.map.resize();
  }

  // ---- controls ----
  function buildTypeFilter() {
    const box = $('type-filter');
    for (const t of state.types) {
      state.enabled.add(t.type);
      const input = el('input', { type: 'checkbox', checked: true, value: t.type });
      input.addEventListener('change', () => {
        if (input.checked) state.enabled.add(t.type); else state.enabled.delete(t.type);
        render();
      });
      box.append(el('label', {}, input,
        el('span', { class: 'swatch', style: 'background:' + t.colour }), t.type));
    }
  }

  function setTimeRange() {
    const times = state.events.flatMap((f) => [Date.parse(f.properties.start),
      Date.parse(f.properties.end)]).filter((t) => !Number.isNaN(t));
    if (!times.length) return;
    state.range = [Math.min(...times), Math.max(...times)];
    state.until = state.range[1];
    updateTimeLabel();
  }

  function updateTimeLabel() {
    $('time-value').textContent = state.until === null ? ''
      : new Date(state.until).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
  }

  function wireControls() {
    $('min-risk').addEventListener('input', (e) => {
      state.minRisk = Number(e.target.value);
      $('min-risk-value').textContent = e.target.value;
      render();
    });
    $('time').addEventListener('input', (e) => {
      const [a, b] = state.range;
      state.until = a + (b - a) * Number(e.target.value) / 1000;
      updateTimeLabel();
      render();
    });
    $('span').addEventListener('change', (e) => { state.span = Number(e.target.value); render(); });
    $('show-tracks').addEventListener('change', render);
    $('show-zones').addEventListener('change', render);
    $('vessel-close').addEventListener('click', () => {
      $('vessel').hidden = true;
      state.selected = null;
      delete document.body.dataset.vessel;
      render();
      cop.map.resize();
    });
    $('forget-key').addEventListener('click', () => {
      sessionStorage.removeItem(KEY_STORE);
      window.location.replace(window.location.pathname);
    });
    $('key-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const key = $('key-input').value.trim();
      if (!key) return;
      sessionStorage.setItem(KEY_STORE, key);
      window.location.reload();
    });
  }

  // ---- loading ----
  function fitToData() {
    const pts = [...state.events, ...state.vessels]
      .filter((f) => f.geometry && f.geometry.type === 'Point')
      .map((f) => f.geometry.coordinates);
    if (!pts.length) return;
    const lons = pts.map((p) => p[0]);
    const lats = pts.map((p) => p[1]);
    cop.map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons),
      Math.max(...lats)]], { padding: 80, maxZoom: 6, duration: 0 });
  }

  async function part(name, load) {
    try {
      return await load();
    } catch (err) {
      if (err instanceof AuthError) throw err;
      state.errors.push(name + ': ' + err.message);
      return null;
    }
  }

  function zoneColour(f) {
    const text = (String(f.properties.kind || '') + ' ' + String(f.properties.name || ''))
      .toLowerCase();
    return /dprk|korea/.test(text) ? ZONE_COLOURS.dprk : ZONE_COLOURS.sts;
  }

  async function loadData() {
    const [me, events, vessels, tracks, alerts, zones] = await Promise.all([
      api('/api/v1/me').then((r) => r.json()),
      part('events', () => features('/collections/events/items?limit=' + PAGE_LIMIT)),
      part('vessels', () => features('/collections/vessels/items?limit=' + PAGE_LIMIT)),
      part('tracks', () => features('/collections/tracks/items?limit=' + PAGE_LIMIT)),
      part('alerts', async () => (await (await api('/api/v1/alerts?limit=' + PAGE_LIMIT)).json())
        .items),
      part('zones', async () => (await api('/api/v1/zones')).json()),
    ]);
    state.me = me;
    state.events = events || [];
    state.vessels = vessels || [];
    state.tracks = tracks || [];
    state.alerts = alerts || [];
    if (zones) {
      state.zones = { type: 'FeatureCollection', features: (zones.features || []).map((f) => ({
        ...f, properties: { ...f.properties, colour: zoneColour(f) } })) };
    }
  }

  function showWho() {
    const who = $('who');
    who.textContent = state.me.code + (state.me.name ? ' · ' + state.me.name : '')
      + ' (' + state.me.scope + ')';
    who.hidden = false;
    $('key-form').hidden = true;
    $('forget-key').hidden = false;
  }

  function readKey() {
    const m = /(?:^#|&)key=([^&]+)/.exec(window.location.hash);
    if (m) {
      sessionStorage.setItem(KEY_STORE, decodeURIComponent(m[1]));
      // drop the key from the address bar and the history
      history.replaceState(null, '', window.location.pathname + window.location.search);
    }
    return sessionStorage.getItem(KEY_STORE);
  }

  async function loadTypes() {
    const r = await fetch('/static/event-types.json', { credentials: 'omit' });
    state.types = await r.json();
    state.colours = Object.fromEntries(state.types.map((t) => [t.type, t.colour]));
  }

  async function main() {
    wireControls();
    state.key = readKey();
    const [map] = await Promise.all([initMap(), loadTypes()]);
    buildTypeFilter();
    if (!state.key) {
      status('Enter your partner key to see the alerts released to you.');
      document.body.dataset.state = 'no-key';
      return;
    }
    status('Loading…');
    try {
      await loadData();
    } catch (err) {
      if (err instanceof AuthError) {
        sessionStorage.removeItem(KEY_STORE);
        status('The key was refused (' + err.message + '). Enter a valid partner key.', true);
        document.body.dataset.state = 'refused';
        return;
      }
      throw err;
    }
    showWho();
    setTimeRange();
    fitToData();
    render();
    await cop.settled();
    const counts = state.events.length + ' events, ' + state.vessels.length + ' vessel cases, '
      + state.tracks.length + ' tracks released to ' + state.me.code;
    status(state.errors.length ? counts + '; not loaded: ' + state.errors.join('; ') : counts,
      state.errors.length > 0);
    document.body.dataset.state = 'ready';
  }

  cop.openVessel = openVessel;
  cop.ready = main().catch((err) => {
    status('The page failed: ' + err.message, true);
    document.body.dataset.state = 'failed';
  });
})();
