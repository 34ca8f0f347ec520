// @ts-check
/// <reference types="uplot" />
/**
 * Runs inside the report page, after uPlot's IIFE build: draws every `figure[data-chart]` from the report
 * inlined in `#ddinit-report`. Layers sit on the x axis by index (uPlot is numeric-x only); names are tick
 * labels and the legend's live value. Canvas colors are baked in at draw time, so a color-scheme change
 * rebuilds the charts; a ResizeObserver keeps each one as wide as its box.
 */
(() => {
  /** @typedef {import('@ddinit/contracts').InitReport} InitReport */
  /** @typedef {'initBefore' | 'initAfter' | 'heldOutBefore' | 'heldOutAfter'} Stage */
  /** @typedef {{ med: (number | null)[], min: (number | null)[], max: (number | null)[] }} RangeSeries */
  /** @typedef {{ muted: string, grid: string, bg: string, before: string, after: string, afterFill: string, font: string }} Theme */

  // Defined by uPlot's IIFE build, inlined just before this script.
  const UPlot = /** @type {Window & { uPlot: typeof import('uplot') }} */ (/** @type {unknown} */ (window))
    .uPlot;

  const HEIGHT = 240;
  const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  const source = document.getElementById('ddinit-report');
  /** @type {InitReport} */
  const report = JSON.parse(source?.textContent ?? '{"layers":[]}');
  const layers = report.layers;
  const n = layers.length;
  const xs = layers.map((_, i) => i);
  const names = layers.map((layer) => layer.name);

  /** @param {unknown} v @returns {v is number} */
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

  /**
   * Same rule as the table (format.ts): 3 significant digits, scientific for tiny or huge values.
   * @param {number | null | undefined} v
   */
  function fmt(v) {
    if (!isNum(v)) return '–';
    if (v === 0) return '0';
    const abs = Math.abs(v);
    const text =
      abs < 1e-3 || abs >= 1e5
        ? v.toExponential(2).replace(/\.?0*e\+?/, 'e')
        : String(Number(v.toPrecision(3)));
    return text.replaceAll('-', '−');
  }

  /** @returns {Theme} */
  function theme() {
    const style = getComputedStyle(document.documentElement);
    /** @param {string} name */
    const v = (name) => style.getPropertyValue(name).trim();
    return {
      muted: v('--muted'),
      grid: v('--grid'),
      bg: v('--card'),
      before: v('--before'),
      after: v('--after'),
      afterFill: v('--after-fill'),
      font: FONT,
    };
  }

  // Axis sizes come from measured label widths; long layer names are cut so the x axis stays short.
  const measure = document.createElement('canvas').getContext('2d');
  /** @param {string} text */
  function textWidth(text) {
    if (!measure) return text.length * 6.5;
    measure.font = FONT;
    return measure.measureText(text).width;
  }
  /** @param {string} name */
  const short = (name) => (name.length > 18 ? `${name.slice(0, 17)}…` : name);
  const labelWidth = Math.max(0, ...names.map((name) => textWidth(short(name))));
  /** Rotate the labels once they no longer fit side by side. @param {uPlot} u */
  const rotated = (u) => n * (labelWidth + 10) > u.width - 70;
  /** Every k-th label when even rotated ones would overlap. @param {uPlot} u */
  const labelStep = (u) => (rotated(u) ? Math.max(1, Math.ceil((n * 20) / Math.max(1, u.width - 70))) : 1);
  // Rotated labels end at their tick and run down-left; the first may need room past the y axis (≥ 38 px).
  const ROTATE = 40;
  const slant = Math.cos((ROTATE * Math.PI) / 180);
  /** @param {uPlot} u */
  const leftRoom = (u) =>
    rotated(u) ? Math.max(0, Math.ceil(labelWidth * slant - 38 - (u.width - 70) / n / 2)) : 0;

  /** @param {Theme} t @returns {uPlot.Axis} */
  function xAxis(t) {
    return {
      stroke: t.muted,
      font: t.font,
      grid: { show: false },
      ticks: { stroke: t.grid, width: 1, size: 4 },
      splits: (u) => xs.filter((i) => i % labelStep(u) === 0),
      values: (_u, splits) => splits.map((i) => short(names[i] ?? '')),
      rotate: (u) => (rotated(u) ? ROTATE : 0),
      size: (u) => (rotated(u) ? Math.ceil(labelWidth * Math.sin((ROTATE * Math.PI) / 180) + 20) : 26),
    };
  }

  /**
   * Log ticks at 1-2-5 steps over short ranges, whole decades (or every k-th) over long ones: uPlot's
   * default 1…9 per decade crowds a 240 px axis.
   * @type {uPlot.Axis.Splits}
   */
  const logSplits = (_u, _i, min, max) => {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.ceil(Math.log10(max));
    const decades = hi - lo;
    const mults = decades <= 2 ? [1, 2, 5] : [1];
    const step = Math.max(1, Math.ceil(decades / 6));
    const splits = [];
    // Decades on multiples of the step, so 1 (10^0) stays a tick.
    for (let d = Math.floor(lo / step) * step; d <= hi; d += step) {
      for (const m of mults) {
        const v = m * 10 ** d;
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) splits.push(v);
      }
    }
    if (splits.length >= 2) return splits;
    // Narrower than one 1-2-5 step: four geometrically even ticks.
    return [0, 1, 2, 3].map((k) => min * (max / min) ** (k / 3));
  };

  /** @param {Theme} t @param {boolean} log @returns {uPlot.Axis} */
  function yAxis(t, log) {
    return {
      ...(log ? { splits: logSplits } : {}),
      stroke: t.muted,
      font: t.font,
      size: (_u, values) => Math.ceil(Math.max(24, ...(values ?? []).map(textWidth)) + 14),
      grid: { stroke: t.grid, width: 1 },
      ticks: { stroke: t.grid, width: 1, size: 4 },
      values: (_u, splits) => splits.map(fmt),
      // Every split is labelled: our log splits are already sparse (uPlot's log filter would blank some).
      filter: (_u, splits) => splits,
    };
  }

  /** Padded [min, max] over finite values. @param {number[]} values @param {boolean} log @returns {[number, number]} */
  function yRange(values, log) {
    if (values.length === 0) return log ? [0.1, 10] : [-1, 1];
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    if (log) {
      // ~10% headroom in log space; a flat series still gets a visible band.
      const pad = lo === hi ? 2 : (hi / lo) ** 0.06;
      return [lo / pad, hi * pad];
    }
    if (lo === hi) {
      const pad = Math.abs(lo) * 0.1 || 1;
      return [lo - pad, hi + pad];
    }
    const pad = (hi - lo) * 0.06;
    lo -= pad;
    hi += pad;
    return [lo, hi];
  }

  /**
   * @param {HTMLElement} el
   * @param {Theme} t
   * @param {{ log: boolean, range: [number, number], series: uPlot.Series[], filled: Record<number, string>, hooks?: uPlot.Hooks.Arrays, cursorPoints: boolean }} spec
   * @returns {uPlot.Options}
   */
  function options(el, t, spec) {
    return {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      padding: [10, 12, 0, (u) => leftRoom(u)],
      scales: {
        x: { time: false, auto: false, range: [-0.5, Math.max(0.5, n - 0.5)] },
        y: spec.log
          ? { distr: 3, log: 10, auto: false, range: spec.range }
          : { auto: false, range: spec.range },
      },
      axes: [xAxis(t), yAxis(t, spec.log)],
      series: [{ label: 'layer', value: (_u, v) => (isNum(v) ? (names[v] ?? '–') : '–') }, ...spec.series],
      // Markers match the drawing: filled for the series in `filled` (after), hollow otherwise (before).
      legend: {
        live: true,
        markers: {
          fill: (_u, i) => spec.filled[i] ?? t.bg,
        },
      },
      cursor: { drag: { x: false, y: false }, points: { show: spec.cursorPoints } },
      ...(spec.hooks ? { hooks: spec.hooks } : {}),
    };
  }

  /** @param {Stage} stage @param {'mean' | 'std'} key @returns {RangeSeries} */
  function rangeOf(stage, key) {
    const at = layers.map((layer) => layer.stats[stage]?.[key]);
    return {
      med: at.map((s) => (s && isNum(s.median) ? s.median : null)),
      min: at.map((s) => (s && isNum(s.min) ? s.min : null)),
      max: at.map((s) => (s && isNum(s.max) ? s.max : null)),
    };
  }

  /**
   * Median dot with a min–max whisker per layer, before (hollow, left) and after (filled, right). Drawn
   * in a hook because uPlot has no range series; the series themselves only feed the legend and cursor.
   * @param {uPlot} u @param {RangeSeries[]} parts @param {Theme} t
   */
  function drawRanges(u, parts, t) {
    const ctx = u.ctx;
    const px = UPlot.pxRatio;
    const { left, top, width, height } = u.bbox;
    const slot = Math.abs(u.valToPos(1, 'x', true) - u.valToPos(0, 'x', true));
    const offset = Math.min(slot * 0.2, 9 * px);
    const cap = Math.min(slot * 0.12, 4 * px);
    const radius = Math.max(1.5 * px, Math.min(slot * 0.14, 3.5 * px));
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineWidth = 1.5 * px;
    parts.forEach((part, s) => {
      if (!u.series[s + 1]?.show) return;
      const color = s === 0 ? t.before : t.after;
      ctx.strokeStyle = color;
      for (let i = 0; i < n; i++) {
        const x = u.valToPos(i, 'x', true) + (s === 0 ? -offset : offset);
        const lo = part.min[i];
        const hi = part.max[i];
        if (isNum(lo) && isNum(hi)) {
          const y0 = u.valToPos(lo, 'y', true);
          const y1 = u.valToPos(hi, 'y', true);
          ctx.beginPath();
          ctx.moveTo(x, y0);
          ctx.lineTo(x, y1);
          ctx.moveTo(x - cap, y0);
          ctx.lineTo(x + cap, y0);
          ctx.moveTo(x - cap, y1);
          ctx.lineTo(x + cap, y1);
          ctx.stroke();
        }
        const med = part.med[i];
        if (isNum(med)) {
          ctx.beginPath();
          ctx.arc(x, u.valToPos(med, 'y', true), radius, 0, 2 * Math.PI);
          ctx.fillStyle = s === 0 ? t.bg : color;
          ctx.fill();
          ctx.stroke();
        }
      }
    });
    ctx.restore();
  }

  /** @param {HTMLElement} el @param {Theme} t @param {'mean' | 'std'} key @param {'init' | 'heldOut'} sample */
  function rangeChart(el, t, key, sample) {
    const before = rangeOf(`${sample}Before`, key);
    const after = rangeOf(`${sample}After`, key);
    const parts = [before, after];
    const values = parts.flatMap((p) => [...p.min, ...p.max, ...p.med]).filter(isNum);
    // std is positive and spans decades (drawn filters vs. normalized); log unless a channel is dead.
    const log = key === 'std' && values.length > 0 && values.every((v) => v > 0);
    /** @param {RangeSeries} part @returns {uPlot.Series.Value} */
    const legendValue = (part) => (_u, _v, _s, i) =>
      i === null ? '–' : `${fmt(part.med[i])} (${fmt(part.min[i])} … ${fmt(part.max[i])})`;
    /** @param {string} label @param {string} color @param {RangeSeries} part @returns {uPlot.Series} */
    const series = (label, color, part) => ({
      label,
      stroke: color,
      width: 2,
      paths: () => null,
      points: { show: false },
      value: legendValue(part),
    });
    return new UPlot(
      options(el, t, {
        log,
        range: yRange(values, log),
        series: [series('before', t.before, before), series('after', t.after, after)],
        filled: { 2: t.after },
        hooks: { draw: [(u) => drawRanges(u, parts, t)] },
        cursorPoints: false,
      }),
      [xs, before.med, after.med],
      el,
    );
  }

  /** Geometric mean of the positive values (the level C_k is normalized to). @param {(number | null)[]} values */
  function geomean(values) {
    const logs = values.filter((v) => isNum(v) && v > 0).map((v) => Math.log(/** @type {number} */ (v)));
    return logs.length === 0 ? null : Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
  }

  /** @param {HTMLElement} el @param {Theme} t */
  function changeRateChart(el, t) {
    const positive = (/** @type {number | undefined} */ v) => (isNum(v) && v > 0 ? v : null);
    const before = layers.map((layer) => positive(layer.changeRate?.before));
    const after = layers.map((layer) => positive(layer.changeRate?.after));
    const gBefore = geomean(before);
    const gAfter = geomean(after);
    const values = [...before, ...after].filter(isNum);
    /** @param {string} label @param {string} color @param {boolean} hollow @returns {uPlot.Series} */
    const rate = (label, color, hollow) => ({
      label,
      stroke: color,
      width: 1.25,
      points: { show: true, size: 7, width: 1.5, stroke: color, fill: hollow ? t.bg : color },
      value: (_u, v) => fmt(v),
    });
    /** @param {string} label @param {string} color @returns {uPlot.Series} */
    const mean = (label, color) => ({
      label,
      stroke: color,
      width: 1.25,
      dash: [6, 4],
      points: { show: false },
      value: (_u, v) => fmt(v),
    });
    return new UPlot(
      options(el, t, {
        log: true,
        range: yRange(values, true),
        series: [
          rate('before', t.before, true),
          rate('after', t.after, false),
          mean('geo. mean before', t.before),
          mean('geo. mean after', t.after),
        ],
        filled: { 2: t.after },
        cursorPoints: true,
      }),
      [xs, before, after, xs.map(() => gBefore), xs.map(() => gAfter)],
      el,
    );
  }

  /** @param {HTMLElement} el @param {Theme} t */
  function scaleChart(el, t) {
    const scale = layers.map((layer) => {
      const r = layer.changeRate?.scale;
      return isNum(r) ? r : null;
    });
    const top = Math.max(1, ...scale.filter(isNum));
    const bars = UPlot.paths.bars?.({ size: [0.6, 36] });
    return new UPlot(
      options(el, t, {
        log: false,
        range: [0, top * 1.12],
        series: [
          {
            label: 'r',
            stroke: t.after,
            fill: t.afterFill,
            width: 1,
            ...(bars ? { paths: bars } : {}),
            points: { show: false },
            value: (_u, v) => fmt(v),
          },
          {
            label: 'r = 1',
            stroke: t.muted,
            width: 1,
            dash: [4, 4],
            points: { show: false },
            value: () => '1',
          },
        ],
        filled: { 1: t.afterFill },
        cursorPoints: false,
      }),
      [xs, scale, xs.map(() => 1)],
      el,
    );
  }

  /** @type {Record<string, (el: HTMLElement, t: Theme) => uPlot>} */
  const builders = {
    'std-init': (el, t) => rangeChart(el, t, 'std', 'init'),
    'std-heldout': (el, t) => rangeChart(el, t, 'std', 'heldOut'),
    'mean-init': (el, t) => rangeChart(el, t, 'mean', 'init'),
    'mean-heldout': (el, t) => rangeChart(el, t, 'mean', 'heldOut'),
    'change-rate': changeRateChart,
    scale: scaleChart,
  };

  /** @type {{ el: HTMLElement, plot: uPlot }[]} */
  let charts = [];

  function build() {
    for (const chart of charts) chart.plot.destroy();
    charts = [];
    const t = theme();
    for (const figure of document.querySelectorAll('figure[data-chart]:not([data-empty])')) {
      const el = figure.querySelector('.plot');
      const id = figure.getAttribute('data-chart') ?? '';
      const builder = builders[id];
      if (!(el instanceof HTMLElement) || !builder) continue;
      try {
        charts.push({ el, plot: builder(el, t) });
        figure.setAttribute('data-rendered', 'true');
      } catch (error) {
        figure.setAttribute('data-error', 'true');
        console.error(`ddinit report: chart ${id} failed`, error);
      }
    }
    document.documentElement.setAttribute('data-charts-rendered', String(charts.length));
  }

  build();
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', build);
  if ('ResizeObserver' in window) {
    // One observer for all plots; setSize only when the width really changed (it re-lays out the axes).
    const resize = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const chart = charts.find((c) => c.el === entry.target);
        const width = Math.max(200, Math.floor(entry.contentRect.width));
        if (chart && chart.plot.width !== width) chart.plot.setSize({ width, height: HEIGHT });
      }
    });
    for (const el of document.querySelectorAll('figure[data-chart] .plot')) resize.observe(el);
  }
})();
