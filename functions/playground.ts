// The playground: a small page served by the worker (GET / and GET /playground) to try the API
// in a browser. It is built in the browser from GET /v1/model (features, tasks, candidate
// kinds, ranking defaults): one fieldset per kind the model has a task for (items, coupons,
// ads, ...; items and coupons when the worker lists no kinds), with the value features an
// expected-value kind needs (an ad's bid) even when the model does not use them; it sends
// POST /v1/score and shows each kind's ranked list with its probabilities.
// OFF unless the var PLAYGROUND is "1" (config.ts); `npm start` turns it on.
//
// The page is one string with inline style and script (no framework, nothing fetched but the
// API itself). The only thing the server adds is what GET /v1/model does not carry: whether an
// API key is needed and example values of the numeric features in raw units (from the fitted
// training statistics), so the form starts from a plausible request.

import type { OpenAPIHono } from '@hono/zod-openapi';
import { DEFAULT_KINDS, type KindSpec } from '../model/features/kinds.ts';
import type { FeatureSpec } from '../model/features/spec.ts';
import type { Config, Env } from './config.ts';

/** What the page needs besides GET /v1/model, embedded as JSON. */
export interface PlaygroundBoot {
  auth: boolean;
  /** Per numeric feature: raw values at -0.8, 0 and +0.8 training standard deviations. */
  examples: Record<string, number[]>;
  /** The kinds of a model whose GET /v1/model lists none (model/features/kinds.ts). */
  defaultKinds: readonly KindSpec[];
}

const round3 = (x: number) => (x === 0 ? 0 : Number(x.toPrecision(3)));

export function numericExamples(specs: readonly FeatureSpec[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of specs) {
    if (s.kind !== 'numeric') continue;
    const std = s.std > 0 ? s.std : 1;
    out[s.name] = [-0.8, 0, 0.8].map((z) => {
      const t = s.mean + z * std;
      return round3(s.transform === 'log1p' ? Math.max(0, Math.expm1(t)) : t);
    });
  }
  return out;
}

/** JSON safe inside a <script> element (no "</script>", no "<!--"). */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

export function playgroundHtml(boot: PlaygroundBoot): string {
  return PAGE.replace('__BOOT__', () => scriptJson(boot));
}

type AppEnv = { Bindings: Env };

/** The part of the served model the page needs (structurally model.ts's ModelInfo, which pulls in ORT). */
interface ServedModel {
  manifest: { features: readonly FeatureSpec[] };
}

/** Adds GET / and GET /playground to the app (called only when the playground is on). */
export function registerPlayground(app: OpenAPIHono<AppEnv>, info: ServedModel | null, cfg: Config): void {
  const html = playgroundHtml({ auth: cfg.apiKey !== null, examples: info ? numericExamples(info.manifest.features) : {}, defaultKinds: DEFAULT_KINDS });
  const page = () =>
    new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });
  app.get('/', page);
  app.get('/playground', page);
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>edge-mtl playground</title><link rel="icon" href="data:,">
<style>
body{font-family:system-ui,"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0;background:#f6f7f9;color:#222;font-size:14px}
main{max-width:1180px;margin:0 auto;padding:16px 24px}h1{font-size:20px;margin:4px 0}h2{font-size:15px;margin:14px 0 6px}
.sub{color:#555;margin:0 0 10px}.cols{display:grid;grid-template-columns:minmax(420px,1fr) minmax(420px,1fr);gap:16px;align-items:start}
fieldset{background:#fff;border:1px solid #dde0e5;border-radius:4px;margin:0 0 10px;padding:8px 10px}legend{font-weight:600;padding:0 4px}
label{display:inline-flex;flex-direction:column;margin:3px 8px 3px 0;font-size:12px;color:#444}label small{color:#888}
input,select{font:inherit;font-size:13px;padding:3px 5px;border:1px solid #c9cdd3;border-radius:3px;width:150px}
.cand{border-top:1px dashed #dde0e5;padding-top:4px;margin-top:4px}.cand:first-of-type{border-top:0}
button{font:inherit;padding:5px 14px;border-radius:3px;border:1px solid #2a55c4;background:#2a55c4;color:#fff;cursor:pointer}
button.small{padding:1px 8px;background:#fff;color:#2a55c4;font-size:12px}
table{border-collapse:collapse;background:#fff;width:100%;margin-bottom:10px}th,td{border:1px solid #e2e4e8;padding:3px 6px;text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef0f3}td.id{text-align:left;font-weight:600}.bar{display:inline-block;height:8px;background:#4269d0;vertical-align:middle;margin-left:4px}
#out{position:sticky;top:8px}.status{font-size:12px;color:#555;margin:6px 0}.error{color:#b00020;white-space:pre-wrap}pre{background:#fff;border:1px solid #e2e4e8;padding:6px;font-size:11px;overflow:auto;max-height:260px}
</style></head>
<body><main>
<h1>edge-mtl playground</h1><p class="sub" id="model">loading the model description (GET /v1/model)...</p>
<div id="auth" hidden><label>API key (Authorization: Bearer)<input id="key" type="password" autocomplete="off" style="width:280px"></label> <button id="connect" class="small">connect</button></div>
<div class="cols"><form id="form" hidden></form><section id="out"><h2>Response</h2><p class="status" id="status">Fill in the request and press "score".</p><div id="results"></div>
<details><summary>request JSON and curl</summary><pre id="request"></pre><pre id="curl"></pre></details></section></div>
<script type="application/json" id="boot">__BOOT__</script>
<script>
"use strict";
const boot = JSON.parse(document.getElementById("boot").textContent);
const $ = (id) => document.getElementById(id);
let model = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

function headers(extra) {
  const h = Object.assign({}, extra);
  const key = $("key").value.trim();
  if (boot.auth && key) h.authorization = "Bearer " + key;
  return h;
}

function errorText(status, body) {
  const e = body && body.error;
  return "HTTP " + status + (e ? ": " + e.code + ": " + e.message + (e.path && !e.message.includes(e.path) ? " (at " + e.path + ")" : "") : "");
}

// The kinds of GET /v1/model (older workers list none: items and coupons), those with a task.
const shownKinds = () => (model.kinds || boot.defaultKinds).filter((k) => model.tasks.some((t) => t.appliesTo === k.name));
const isCandidate = (place) => place !== "user" && place !== "context";

// One input per feature; its name says where it goes in the request (data-place, data-feature).
// A value feature of an expected-value kind (valueOf) must be a number >= 0 on every candidate.
function field(f, place, k, valueOf) {
  const ex = boot.examples[f.name];
  let value = ex ? (isCandidate(place) ? ex[k % ex.length] : ex[1]) : "";
  if (valueOf) value = value === "" ? 1 + k : Math.abs(value);
  const hint = valueOf ? "ranking value (>= 0): " + valueOf : f.kind === "multi" ? "multi: a, b, c" : f.kind === "numeric" ? "numeric" : "categorical";
  const input = el("input", { "data-feature": f.name, "data-kind": f.kind, type: f.kind === "numeric" ? "number" : "text", step: "any", value, placeholder: "missing" });
  // Frequent training values (GET /v1/model) as suggestions; the field still starts empty (missing).
  if (f.values && f.values.length) {
    const id = "values-" + f.name;
    if (!document.getElementById(id)) document.body.append(el("datalist", { id }, ...f.values.map((v) => el("option", { value: v }))));
    input.setAttribute("list", id);
  }
  return el("label", {}, el("span", {}, f.name + " ", el("small", {}, hint)), input);
}

// The "<entity>_id" feature is filled from the id field (model/serving/assemble.ts): no own input.
const own = (f, entity) => f.entity === entity && !(f.kind === "categorical" && f.name === entity + "_id");
const idLabel = (entity) => (model.features.some((f) => f.name === entity + "_id") ? entity + " id (= " + entity + "_id)" : entity + " id");

// Expected-value terms of a kind by feature: "p(ad_click) x ad_bid".
const valueTerms = (kind) => new Map((kind.value || []).map((v) => [v.feature, "p(" + v.task + ") \u00d7 " + v.feature]));

function candidate(kind, k) {
  const box = el("div", { class: "cand", "data-candidate": kind.name });
  box.append(el("label", {}, el("span", {}, idLabel(kind.name)), el("input", { "data-id": "1", value: kind.name[0] + (101 + 7 * k) })));
  const terms = valueTerms(kind);
  for (const f of model.features) if (own(f, kind.name)) box.append(field(f, kind.name, k, terms.get(f.name)));
  // Value features the model does not use are still ranking inputs: a numeric field each.
  for (const [name, term] of terms) if (!model.features.some((f) => f.name === name && f.entity === kind.name)) box.append(field({ name, kind: "numeric" }, kind.name, k, term));
  const rm = el("button", { type: "button", class: "small" }, "remove");
  rm.onclick = () => box.remove();
  box.append(rm);
  return box;
}

function candidates(kind, n) {
  const fs = el("fieldset", { "data-list": kind.name }, el("legend", {}, kind.field));
  const list = el("div", {});
  for (let k = 0; k < n; k++) list.append(candidate(kind, k));
  const add = el("button", { type: "button", class: "small" }, "+ " + kind.name);
  add.onclick = () => list.append(candidate(kind, list.children.length));
  fs.append(list, add);
  return fs;
}

function buildForm() {
  const form = $("form");
  form.replaceChildren();
  const user = el("fieldset", { "data-place": "user" }, el("legend", {}, "user"));
  user.append(el("label", {}, el("span", {}, idLabel("user")), el("input", { id: "user-id", value: "u42" })));
  for (const f of model.features) if (own(f, "user")) user.append(field(f, "user", 1));
  const ctx = el("fieldset", { "data-place": "context" }, el("legend", {}, "context"));
  for (const f of model.features) if (f.entity === "context" && f.name !== "candidate_kind") ctx.append(field(f, "context", 1));
  form.append(user, ctx);
  // Three candidates of the first kind, two of every other.
  shownKinds().forEach((kind, i) => form.append(candidates(kind, i === 0 ? 3 : 2)));
  const rank = el("fieldset", {}, el("legend", {}, "rank"));
  const formula = el("select", { id: "formula" }, el("option", { value: "product" }, "product"), el("option", { value: "revenue" }, "revenue"));
  formula.value = model.ranking.formula;
  rank.append(el("label", {}, el("span", {}, "formula"), formula));
  for (const t of model.tasks) {
    rank.append(el("label", {}, el("span", {}, "weight " + t.name), el("input", { "data-weight": t.name, type: "number", step: "any", min: 0, max: model.limits.maxRankWeight, value: model.ranking.weights[t.name] })));
  }
  rank.append(el("label", {}, el("span", {}, "top_k"), el("input", { id: "top-k", type: "number", min: 1, max: model.limits.maxCandidates, placeholder: "all" })));
  form.append(rank, el("button", { id: "send", type: "submit" }, "score"));
  form.hidden = false;
}

function featuresOf(box) {
  const out = {};
  for (const input of box.querySelectorAll("input[data-feature]")) {
    const raw = input.value.trim();
    if (raw === "") continue;
    const kind = input.dataset.kind;
    out[input.dataset.feature] = kind === "numeric" ? Number(raw) : kind === "multi" ? raw.split(/[,|]/).map((s) => s.trim()).filter(Boolean) : raw;
  }
  return out;
}

function request() {
  const body = { user: { features: featuresOf(document.querySelector('[data-place="user"]')) }, context: featuresOf(document.querySelector('[data-place="context"]')) };
  const uid = $("user-id").value.trim();
  if (uid) body.user.id = uid;
  for (const kind of shownKinds()) {
    const boxes = document.querySelectorAll('[data-candidate="' + kind.name + '"]');
    if (!boxes.length) continue;
    body[kind.field] = [...boxes].map((b) => ({ id: b.querySelector("[data-id]").value.trim(), features: featuresOf(b) }));
  }
  const weights = {};
  for (const w of document.querySelectorAll("[data-weight]")) if (w.value.trim() !== "") weights[w.dataset.weight] = Number(w.value);
  body.rank = { formula: $("formula").value, weights };
  const k = $("top-k").value.trim();
  if (k) body.top_k = Number(k);
  return body;
}

function ranked(kind, rows) {
  const tasks = model.tasks.filter((t) => t.appliesTo === kind).map((t) => t.name);
  const head = el("tr", {}, el("th", {}, "#"), el("th", {}, kind + " id"), el("th", {}, "score"), ...tasks.map((t) => el("th", {}, "p(" + t + ")")));
  const table = el("table", { class: "ranked", "data-kind": kind }, el("thead", {}, head));
  const tb = el("tbody", {});
  // Bars relative to the column's largest probability: the comparison within a list is what reads.
  const top = Object.fromEntries(tasks.map((t) => [t, Math.max(...rows.map((r) => r[t]))]));
  rows.forEach((r, i) => {
    const cells = tasks.map((t) => el("td", {}, r[t].toFixed(4), el("span", { class: "bar", style: "width:" + Math.max(1, Math.round((60 * r[t]) / top[t])) + "px" })));
    tb.append(el("tr", {}, el("td", {}, String(i + 1)), el("td", { class: "id" }, r.id), el("td", {}, r.score.toPrecision(4)), ...cells));
  });
  table.append(tb);
  return table;
}

async function send(ev) {
  ev.preventDefault();
  const body = request();
  const text = JSON.stringify(body);
  $("request").textContent = JSON.stringify(body, null, 2);
  const auth = boot.auth ? " -H 'authorization: Bearer $API_KEY'" : "";
  $("curl").textContent = "curl -s -X POST " + location.origin + "/v1/score -H 'content-type: application/json'" + auth + " -d '" + text.replace(/'/g, "'\\\\''") + "'";
  $("status").textContent = "scoring...";
  $("results").replaceChildren();
  const res = await fetch("/v1/score", { method: "POST", headers: headers({ "content-type": "application/json" }), body: text });
  const out = await res.json().catch(() => null);
  if (!res.ok) {
    $("status").replaceChildren(el("span", { class: "error" }, errorText(res.status, out)));
    return;
  }
  $("status").textContent = "HTTP " + res.status + " · model " + out.model.version + " (" + out.model.quantization + ") · rank " + out.rank.formula + " · Server-Timing: " + (res.headers.get("server-timing") || "-");
  const results = $("results");
  for (const kind of shownKinds()) {
    if (!body[kind.field]) continue;
    const by = kind.value ? " (score: expected value, " + [...valueTerms(kind).values()].join(" + ") + ")" : "";
    results.append(el("h2", {}, kind.field + ", best first" + by), ranked(kind.name, out[kind.field]));
  }
}

async function load() {
  const res = await fetch("/v1/model", { headers: headers({}) });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    $("model").replaceChildren(el("span", { class: "error" }, errorText(res.status, body) + (res.status === 401 ? " (enter the API key and connect)" : "")));
    return;
  }
  model = body;
  const auc = model.tasks.map((t) => t.name + " " + (model.metrics[t.name] && typeof model.metrics[t.name].auc === "number" ? model.metrics[t.name].auc.toFixed(3) : "-")).join(", ");
  $("model").textContent = model.architecture + " · version " + model.version + " · " + model.quantization + " · test AUC " + auc;
  buildForm();
}

$("form").addEventListener("submit", (ev) => send(ev).catch((e) => $("status").replaceChildren(el("span", { class: "error" }, String(e)))));
$("connect").onclick = () => load();
if (boot.auth) {
  $("auth").hidden = false;
  $("model").textContent = "This worker needs an API key: enter it and connect.";
} else load();
</script>
</main></body></html>
`;
