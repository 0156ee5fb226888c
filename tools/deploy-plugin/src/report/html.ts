/** Text for HTML and SVG: nothing in a ledger record (a reason, an actor) can become markup. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `2026-12-08 01:02:03Z` from an ISO time. */
export function when(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/** Seconds or minutes for people: `4.0 s`, `6 min 30 s`. */
export function span(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

// Colours are CSS variables: one page reads well in a light and a dark theme (the reader's choice),
// and the SVG charts use the same variables through classes.
const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1d2330;--muted:#5b6474;--line:#d7dce4;--panel:#f5f7fa;
--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--info:#0b5cad;--s1:#0b5cad;--s2:#8a3ffc;--breach:rgba(198,40,40,.16);--alert:rgba(154,103,0,.14)}
@media (prefers-color-scheme:dark){:root{--bg:#11151c;--fg:#e6e9ef;--muted:#9aa4b5;--line:#2f3744;--panel:#18202a;
--ok:#4ac26b;--bad:#ff6b6b;--warn:#e3b341;--info:#58a6ff;--s1:#58a6ff;--s2:#c297ff;--breach:rgba(255,107,107,.2);--alert:rgba(227,179,65,.18)}}
body{margin:0 auto;max-width:1100px;padding:1.5rem;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,sans-serif}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--line)}h3{font-size:1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-variant-numeric:tabular-nums}th,td{text-align:left;padding:.25rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:var(--muted)}dd{margin:0}
a{color:var(--info)}pre{white-space:pre-wrap;background:var(--panel);padding:.6rem;border-radius:4px}code{font-size:.92em}.muted{color:var(--muted)}
.succeeded,.passed,.restored{color:var(--ok)}.failed,.breached,.restore-failed{color:var(--bad)}.rolled_back,.aborted,.nothing-to-restore{color:var(--warn)}.started{color:var(--info)}
.chart{width:100%;max-width:900px;height:auto;display:block}.chart text{fill:var(--muted);font-size:11px}.chart .axis{stroke:var(--line)}
.chart .s0{stroke:var(--s1)}.chart .s1{stroke:var(--s2)}.chart path.series{fill:none;stroke-width:1.6}.chart .threshold{stroke:var(--bad);stroke-dasharray:5 4}
.chart .breach{fill:var(--breach)}.chart .alerting{fill:var(--alert)}.chart line.fired{stroke:var(--bad)}.chart line.switch{stroke:var(--ok)}.chart .marker{stroke-width:1.5}
.chart tspan.s0{fill:var(--s1)}.chart tspan.s1{fill:var(--s2)}
.chart text.fired{fill:var(--bad)}.chart text.switch{fill:var(--ok)}.chart .bar{fill:var(--s1)}
.bars{display:block;position:relative;height:.8rem;min-width:240px;background:var(--panel)}.bars span{position:absolute;top:0;bottom:0;background:var(--s1)}
.bars span.failed{background:var(--bad)}.bars span.skipped{background:var(--line)}
ol.timeline{list-style:none;display:flex;flex-wrap:wrap;gap:2px;margin:0;padding:0}ol.timeline li{width:10px;height:14px;border-radius:2px;background:currentColor}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
details{margin:.3rem 0 1rem}summary{cursor:pointer;color:var(--muted)}`;

/** A whole self-contained page: no script, no network, one style sheet. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

/** A table with a header row; cells are already HTML. */
export function table(head: string[], rows: string[][], caption?: string): string {
  return `<table>${caption ? `<caption class="sr">${esc(caption)}</caption>` : ''}<thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A status word coloured by its class. */
export function status(word: string): string {
  return `<span class="${esc(word)}">${esc(word.replace('_', ' '))}</span>`;
}
