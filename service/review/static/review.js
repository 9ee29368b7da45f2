// Qingliu review page: recent outcomes, live (server-sent events, polling as a fallback).
// Post content is untrusted: it only ever reaches the page through textContent, DOM properties
// and text nodes (never innerHTML); control, bidi and invisible characters are shown as
// visible escapes such as ⟨U+202E⟩.
"use strict";

(function () {
  const BASE = "/review";
  const MAX_CARDS = 500;
  const POLL_MS = 2000;
  const HEX_BYTES = 512;
  const TEXT_BYTES = 4096;
  const KINDS = ["spun", "mojibake", "invisible", "fullwidth", "radical", "homoglyph", "encoding"];
  const KIND_LABELS = {
    spun: "spun 伪原创", mojibake: "mojibake 乱码", invisible: "invisible 隐形字符",
    fullwidth: "width 全角", radical: "radical 部首", homoglyph: "homoglyph 形近字",
    encoding: "decoded 编码",
  };
  // Cc, Cf (bidi controls, zero-width …), separators, private use, lone surrogates, fillers
  // that render blank, variation selectors and tag characters.
  const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\u115F\u1160\u3164\uFFA0\u2800\u180E\uFE00-\uFE0F\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/u;
  const CONTROL_NAMES = {
    0x200B: "ZERO WIDTH SPACE", 0x200C: "ZERO WIDTH NON-JOINER", 0x200D: "ZERO WIDTH JOINER",
    0x200E: "LEFT-TO-RIGHT MARK", 0x200F: "RIGHT-TO-LEFT MARK", 0x202A: "LEFT-TO-RIGHT EMBEDDING",
    0x202B: "RIGHT-TO-LEFT EMBEDDING", 0x202C: "POP DIRECTIONAL FORMATTING",
    0x202D: "LEFT-TO-RIGHT OVERRIDE", 0x202E: "RIGHT-TO-LEFT OVERRIDE",
    0x2066: "LEFT-TO-RIGHT ISOLATE", 0x2067: "RIGHT-TO-LEFT ISOLATE",
    0x2068: "FIRST STRONG ISOLATE", 0x2069: "POP DIRECTIONAL ISOLATE", 0xFEFF: "ZERO WIDTH NO-BREAK SPACE",
    0x00AD: "SOFT HYPHEN", 0x2060: "WORD JOINER", 0x061C: "ARABIC LETTER MARK",
  };

  const state = {
    lastSeq: 0, paused: false, pending: [], mode: "connecting", source: null, pollTimer: null,
    counts: { all: 0, clean: 0, corrupted: 0, dlq: 0 }, kindCounts: {}, topics: new Map(),
    places: new Map(), skipped: 0,
  };
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- safe text helpers
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function codeLabel(cp) {
    return "U+" + cp.toString(16).toUpperCase().padStart(4, "0");
  }

  // Text with hidden characters replaced by ⟨U+XXXX⟩ (for titles and attributes).
  function visibleString(text) {
    let out = "";
    for (const ch of String(text)) {
      out += HIDDEN.test(ch) ? "⟨" + codeLabel(ch.codePointAt(0)) + "⟩" : ch;
    }
    return out;
  }

  // Append ``text`` to ``parent`` as text nodes, hidden characters as visible escape spans.
  function appendVisible(parent, text) {
    let run = "";
    for (const ch of String(text)) {
      if (HIDDEN.test(ch)) {
        if (run) { parent.appendChild(document.createTextNode(run)); run = ""; }
        const cp = ch.codePointAt(0);
        const span = el("span", "ctl", "⟨" + codeLabel(cp) + "⟩");
        span.title = CONTROL_NAMES[cp] || "control or invisible character " + codeLabel(cp);
        parent.appendChild(span);
      } else {
        run += ch;
      }
    }
    if (run) parent.appendChild(document.createTextNode(run));
    return parent;
  }

  function kindClass(kind) {
    return KINDS.includes(kind) ? "k-" + kind : "k-other";
  }

  function asNumber(value) {
    const n = Number(value);
    return Number.isFinite(n) ? n : 0;
  }

  function asArray(value) {
    return Array.isArray(value) ? value : [];
  }

  // ---------------------------------------------------------------- edits
  // Valid, non-overlapping edits sorted by start (offsets count code points, as in Python).
  function usableEdits(edits, length) {
    const sorted = asArray(edits)
      .filter((e) => e && Number.isInteger(e.start) && Number.isInteger(e.end)
        && e.start >= 0 && e.end >= e.start && e.end <= length)
      .slice().sort((a, b) => a.start - b.start || a.end - b.end);
    const kept = [];
    let end = 0;
    for (const e of sorted) {
      if (e.start < end) continue;
      kept.push(e);
      end = e.end;
    }
    return kept;
  }

  function editTitle(e) {
    const confidence = asNumber(e.confidence).toFixed(2);
    return String(e.kind) + " · confidence " + confidence + "\n"
      + "before: " + visibleString(e.before) + "\n" + "after: " + visibleString(e.after);
  }

  function mark(e, text, side) {
    const node = el("mark", "edit " + kindClass(e.kind));
    node.title = editTitle(e);
    node.dataset.kind = KINDS.includes(e.kind) ? e.kind : "other";
    node.dataset.confidence = asNumber(e.confidence).toFixed(2);
    if (text === "") node.classList.add(side === "before" ? "empty-before" : "empty-after");
    appendVisible(node, text);
    return node;
  }

  // Fill ``orig`` and ``fixed`` (pre elements); returns whether the edits reproduce ``text``.
  function renderPair(orig, fixed, original, text, edits) {
    const chars = Array.from(String(original));
    const kept = usableEdits(edits, chars.length);
    let at = 0;
    let rebuilt = "";
    for (const e of kept) {
      const plain = chars.slice(at, e.start).join("");
      appendVisible(orig, plain);
      appendVisible(fixed, plain);
      const before = chars.slice(e.start, e.end).join("");
      const after = typeof e.after === "string" ? e.after : "";
      orig.appendChild(mark(e, before, "before"));
      fixed.appendChild(mark(e, after, "after"));
      rebuilt += plain + after;
      at = e.end;
    }
    const rest = chars.slice(at).join("");
    appendVisible(orig, rest);
    appendVisible(fixed, rest);
    rebuilt += rest;
    if (rebuilt !== String(text)) {
      fixed.textContent = "";
      appendVisible(fixed, text);
      return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- cards
  function badge(className, text, title) {
    const node = el("span", "badge " + className);
    appendVisible(node, text);
    if (title) node.title = visibleString(title);
    return node;
  }

  function topicLabel(topic) {
    if (topic && typeof topic === "object") return String(topic.label || topic.id || "?");
    return String(topic);
  }

  function placeLabel(place) {
    if (place && typeof place === "object") return String(place.name || place.adcode || "?");
    return String(place);
  }

  function timeOf(event) {
    const at = typeof event.processed_at === "string" ? event.processed_at : "";
    const match = /T(\d\d:\d\d:\d\d)/.exec(at);
    return match ? match[1] : "";
  }

  // The label of a sample post (meta.sample: clean, spun, mojibake …), or "".
  function sampleLabel(event) {
    const meta = event.meta && typeof event.meta === "object" ? event.meta : {};
    return typeof meta.sample === "string" ? meta.sample : "";
  }

  // The operator rules version the event was repaired under (processor.rules), or "".
  function rulesOf(event) {
    const processor = event.processor && typeof event.processor === "object" ? event.processor : {};
    return typeof processor.rules === "string" ? processor.rules : "";
  }

  function cleanCard(event) {
    const corruption = event.corruption && typeof event.corruption === "object" ? event.corruption : {};
    const tags = event.tags && typeof event.tags === "object" ? event.tags : {};
    const edits = asArray(event.edits);
    const score = asNumber(corruption.score);
    const card = el("article", "card clean");
    const head = el("div", "head");
    const pid = el("span", "pid");
    appendVisible(pid, event.id);
    head.appendChild(pid);
    head.appendChild(badge("score" + (score >= 0.5 ? " high" : ""), "score " + score.toFixed(2)));
    for (const kind of asArray(corruption.kinds)) {
      const b = badge("kind " + kindClass(kind), kind);
      head.appendChild(b);
    }
    if (typeof event.encoding === "string" && !/^(utf-8|ascii)$/i.test(event.encoding)) {
      head.appendChild(badge("enc", "decoded from " + event.encoding));
    }
    for (const topic of asArray(tags.topics)) {
      head.appendChild(badge("topic", "# " + topicLabel(topic),
        topic && typeof topic === "object" ? "topic " + topic.id + " · score " + asNumber(topic.score).toFixed(2) : ""));
    }
    for (const place of asArray(tags.places)) {
      head.appendChild(badge("place", "◎ " + placeLabel(place),
        place && typeof place === "object" ? [place.province, place.city, place.county, place.adcode].filter(Boolean).join(" · ") : ""));
    }
    // A sample labelled by meta.sample (the demo's) is held to its label, as `qingliu tail` does.
    const label = sampleLabel(event);
    const decoded = typeof event.encoding === "string" && !/^(utf-8|ascii)$/i.test(event.encoding);
    const touched = edits.length > 0 || decoded;
    if (label && label !== "clean" && !touched) {
      head.appendChild(badge("mismatch", "left unrepaired · labelled " + label,
        "this sample is labelled " + label + " (meta.sample) but came out unchanged"));
    } else if (label === "clean" && touched) {
      head.appendChild(badge("mismatch", "changed · labelled clean",
        "this sample is labelled clean (meta.sample) but was edited"));
    }
    const rules = rulesOf(event);
    if (rules && rules !== "none") {
      head.appendChild(badge("rules", "rules " + rules, "repaired under operator rules version " + rules
        + " (processor.rules; qingliu rules list)"));
    }
    if (rules) card.dataset.rules = rules;
    head.appendChild(el("span", "time", timeOf(event)));
    card.appendChild(head);

    const pair = el("div", "pair");
    const left = el("div", "side");
    left.appendChild(el("h3", "", "original 原文"));
    const orig = el("pre", "text original");
    orig.dir = "auto";
    left.appendChild(orig);
    const right = el("div", "side");
    right.appendChild(el("h3", "", "repaired 修复"));
    const fixed = el("pre", "text repaired");
    fixed.dir = "auto";
    right.appendChild(fixed);
    pair.appendChild(left);
    pair.appendChild(right);
    card.appendChild(pair);
    const original = typeof event.original_text === "string" ? event.original_text : "";
    const text = typeof event.text === "string" ? event.text : "";
    if (!renderPair(orig, fixed, original, text, edits)) {
      card.appendChild(el("div", "note", "The edits do not reproduce the repaired text; it is shown as published."));
    }
    if (edits.length) card.appendChild(editTable(edits));
    if (event.review_truncated) card.appendChild(el("div", "note", "Shortened for this page (the event is larger)."));
    if (edits.length || original !== text) card.classList.add("changed");
    return card;
  }

  function editTable(edits) {
    const details = el("details", "edits");
    details.appendChild(el("summary", "", edits.length + (edits.length === 1 ? " edit" : " edits")));
    const table = el("table");
    const headRow = el("tr");
    for (const name of ["kind", "at", "before", "after", "confidence"]) headRow.appendChild(el("th", "", name));
    table.appendChild(headRow);
    for (const e of edits.slice(0, 200)) {
      const row = el("tr");
      const kindCell = el("td");
      kindCell.appendChild(badge("kind " + kindClass(e.kind), String(e.kind)));
      row.appendChild(kindCell);
      row.appendChild(el("td", "", asNumber(e.start) + "–" + asNumber(e.end)));
      row.appendChild(appendVisible(el("td", "v"), e.before));
      row.appendChild(appendVisible(el("td", "v"), e.after));
      row.appendChild(el("td", "", asNumber(e.confidence).toFixed(2)));
      table.appendChild(row);
    }
    details.appendChild(table);
    return details;
  }

  function decodeBase64(text) {
    if (typeof text !== "string") return null;
    try {
      const binary = atob(text);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      return bytes;
    } catch (err) {
      return null;
    }
  }

  function hexDump(bytes) {
    const lines = [];
    const shown = bytes.subarray(0, HEX_BYTES);
    for (let offset = 0; offset < shown.length; offset += 16) {
      const row = shown.subarray(offset, offset + 16);
      const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
      const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
      lines.push(offset.toString(16).padStart(6, "0") + "  " + hex.padEnd(48, " ") + "  " + ascii);
    }
    if (bytes.length > shown.length) lines.push("… " + (bytes.length - shown.length) + " more bytes");
    return lines.join("\n");
  }

  function dlqCard(event) {
    const error = event.error && typeof event.error === "object" ? event.error : {};
    const card = el("article", "card dlq");
    const head = el("div", "head");
    head.appendChild(el("span", "pid", "dead letter"));
    head.appendChild(badge("code", String(error.code || "unknown")));
    if (event.topic !== undefined) {
      head.appendChild(badge("", String(event.topic) + ":" + asNumber(event.partition) + "@" + asNumber(event.offset)));
    }
    const key = decodeBase64(event.raw_key_b64);
    if (key && key.length) {
      head.appendChild(badge("", "key " + new TextDecoder("utf-8").decode(key.subarray(0, 200))));
    }
    head.appendChild(el("span", "time", timeOf(event)));
    card.appendChild(head);
    card.appendChild(appendVisible(el("div", "msg"), error.message || ""));
    const raw = decodeBase64(event.raw_b64);
    if (raw) {
      const dump = el("div", "dump");
      const hexSide = el("div", "side");
      hexSide.appendChild(el("h3", "", "bytes (" + (event.review_truncated ? "first " : "") + raw.length + ")"));
      hexSide.appendChild(el("pre", "hex", hexDump(raw)));
      const textSide = el("div", "side");
      textSide.appendChild(el("h3", "", "as UTF-8 text (escaped)"));
      const escaped = el("pre", "escaped");
      escaped.dir = "auto";
      appendVisible(escaped, new TextDecoder("utf-8").decode(raw.subarray(0, TEXT_BYTES)));
      textSide.appendChild(escaped);
      dump.appendChild(hexSide);
      dump.appendChild(textSide);
      card.appendChild(dump);
    } else {
      card.appendChild(el("div", "note", "No value (tombstone)."));
    }
    return card;
  }

  // ---------------------------------------------------------------- filters and counts
  function facts(item) {
    const event = item.event && typeof item.event === "object" ? item.event : {};
    if (item.kind !== "clean") {
      return { dlq: true, kinds: [], topics: [], places: [], score: 1, changed: true };
    }
    const corruption = event.corruption && typeof event.corruption === "object" ? event.corruption : {};
    const tags = event.tags && typeof event.tags === "object" ? event.tags : {};
    const kinds = new Set(asArray(corruption.kinds).map(String));
    for (const e of asArray(event.edits)) if (e && e.kind) kinds.add(String(e.kind));
    return {
      dlq: false,
      kinds: Array.from(kinds),
      topics: asArray(tags.topics).map((t) => (t && typeof t === "object" ? String(t.id || t.label) : String(t))),
      topicLabels: asArray(tags.topics).map(topicLabel),
      places: asArray(tags.places).map(placeLabel),
      score: asNumber(corruption.score),
      changed: asArray(event.edits).length > 0 || event.text !== event.original_text,
    };
  }

  function currentFilter() {
    return {
      kind: $("f-kind").value, topic: $("f-topic").value, place: $("f-place").value,
      score: asNumber($("f-score").value), clean: $("f-clean").checked, dlq: $("f-dlq").checked,
      changed: $("f-changed").checked,
    };
  }

  function matches(f, filter) {
    if (f.dlq) return filter.dlq && (!filter.kind || filter.kind === "dlq") && !filter.topic && !filter.place;
    if (!filter.clean) return false;
    if (filter.kind === "dlq") return false;
    if (filter.kind && !f.kinds.includes(filter.kind)) return false;
    if (filter.topic && !f.topics.includes(filter.topic)) return false;
    if (filter.place && !f.places.includes(filter.place)) return false;
    if (f.score < filter.score) return false;
    if (filter.changed && !f.changed) return false;
    return true;
  }

  function applyFilter() {
    const filter = currentFilter();
    $("f-score-out").textContent = filter.score.toFixed(2);
    for (const card of $("feed").querySelectorAll("article.card")) {
      card.hidden = !matches(card.facts, filter);
    }
    for (const button of $("legend").querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.kind === filter.kind));
    }
  }

  function addOption(select, value, label) {
    for (const option of select.options) if (option.value === value) return;
    const option = el("option", "", visibleString(label));
    option.value = value;
    select.appendChild(option);
  }

  function count(item, f) {
    state.counts.all += 1;
    if (f.dlq) {
      state.counts.dlq += 1;
      state.kindCounts.dlq = (state.kindCounts.dlq || 0) + 1;
    } else {
      state.counts.clean += 1;
      if (f.changed) state.counts.corrupted += 1;
      for (const kind of f.kinds) state.kindCounts[kind] = (state.kindCounts[kind] || 0) + 1;
      f.topics.forEach((id, i) => addOption($("f-topic"), id, f.topicLabels[i] || id));
      for (const place of f.places) addOption($("f-place"), place, place);
    }
    for (const kind of f.kinds) if (!KINDS.includes(kind)) addOption($("f-kind"), kind, kind);
    $("count-all").textContent = state.counts.all;
    $("count-clean").textContent = state.counts.clean;
    $("count-corrupted").textContent = state.counts.corrupted;
    $("count-dlq").textContent = state.counts.dlq;
    for (const button of $("legend").querySelectorAll("button")) {
      button.querySelector(".n").textContent = state.kindCounts[button.dataset.kind] || 0;
    }
  }

  function buildLegend() {
    const legend = $("legend");
    const kindSelect = $("f-kind");
    for (const kind of [...KINDS, "dlq"]) {
      const button = el("button");
      button.type = "button";
      button.dataset.kind = kind;
      button.setAttribute("aria-pressed", "false");
      const swatch = el("span", "swatch " + (kind === "dlq" ? "swatch-dlq" : kindClass(kind)));
      button.appendChild(swatch);
      button.appendChild(el("span", "", kind === "dlq" ? "dead letter" : KIND_LABELS[kind]));
      button.appendChild(el("span", "n", "0"));
      button.title = kind === "dlq" ? "show only dead letters" : "show only posts with " + kind + " corruption";
      button.addEventListener("click", () => {
        kindSelect.value = kindSelect.value === kind ? "" : kind;
        applyFilter();
      });
      legend.appendChild(button);
      addOption(kindSelect, kind, kind === "dlq" ? "dead letter" : KIND_LABELS[kind]);
    }
  }

  // ---------------------------------------------------------------- feed
  function render(item) {
    const f = facts(item);
    count(item, f);
    let card;
    try {
      card = item.kind === "clean" ? cleanCard(item.event || {}) : dlqCard(item.event || {});
    } catch (err) {
      card = el("article", "card dlq");
      card.appendChild(el("div", "note", "This outcome could not be shown: " + String(err)));
    }
    card.facts = f;
    card.dataset.seq = String(item.seq);
    card.hidden = !matches(f, currentFilter());
    const feed = $("feed");
    $("empty").hidden = true;
    feed.insertBefore(card, feed.querySelector("article.card"));
    const cards = feed.querySelectorAll("article.card");
    for (let i = MAX_CARDS; i < cards.length; i++) cards[i].remove();
  }

  function receive(item) {
    if (!item || typeof item.seq !== "number" || item.seq <= state.lastSeq) return;
    if (state.lastSeq && item.seq > state.lastSeq + 1) state.skipped += item.seq - state.lastSeq - 1;
    state.lastSeq = item.seq;
    if (state.paused) {
      state.pending.push(item);
      if (state.pending.length > MAX_CARDS) state.pending.shift();
      $("pause").textContent = "Resume (" + state.pending.length + " new)";
      return;
    }
    render(item);
  }

  function setStatus(mode, text) {
    state.mode = mode;
    const status = $("status");
    status.dataset.state = state.paused ? "paused" : mode;
    status.textContent = (state.paused ? "paused · " : "") + text;
  }

  function startPolling() {
    if (state.source) { state.source.close(); state.source = null; }
    setStatus("polling", "polling");
    const poll = async () => {
      try {
        const response = await fetch(BASE + "/recent?after=" + state.lastSeq,
          { credentials: "same-origin", cache: "no-store" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const body = await response.json();
        for (const item of asArray(body.items)) receive(item);
        setStatus("polling", "polling");
      } catch (err) {
        setStatus("error", "disconnected (" + String(err.message || err) + ")");
      }
      state.pollTimer = setTimeout(poll, POLL_MS);
    };
    poll();
  }

  function startEvents() {
    if (typeof EventSource !== "function" || location.hash === "#poll") {
      startPolling();
      return;
    }
    let opened = false;
    let failures = 0;
    const source = new EventSource(BASE + "/events");
    state.source = source;
    source.addEventListener("open", () => { opened = true; failures = 0; setStatus("live", "live"); });
    source.addEventListener("outcome", (message) => {
      let item;
      try { item = JSON.parse(message.data); } catch (err) { return; }
      receive(item);
    });
    source.addEventListener("dropped", () => { setStatus("live", "live (this page fell behind; some outcomes skipped)"); });
    source.addEventListener("error", () => {
      failures += 1;
      if (source.readyState === EventSource.CLOSED || (!opened && failures >= 3) || failures >= 10) {
        startPolling();
      } else {
        setStatus("error", "reconnecting…");
      }
    });
  }

  function togglePause() {
    state.paused = !state.paused;
    const button = $("pause");
    button.setAttribute("aria-pressed", String(state.paused));
    if (!state.paused) {
      const pending = state.pending;
      state.pending = [];
      for (const item of pending) render(item);
      button.textContent = "Pause";
    } else {
      button.textContent = "Resume";
    }
    setStatus(state.mode, state.mode === "polling" ? "polling" : state.mode === "live" ? "live" : state.mode);
  }

  function clearFeed() {
    for (const card of $("feed").querySelectorAll("article.card")) card.remove();
    state.pending = [];
    state.counts = { all: 0, clean: 0, corrupted: 0, dlq: 0 };
    state.kindCounts = {};
    for (const id of ["count-all", "count-clean", "count-corrupted", "count-dlq"]) $(id).textContent = "0";
    for (const n of $("legend").querySelectorAll(".n")) n.textContent = "0";
    $("empty").hidden = false;
  }

  function start() {
    buildLegend();
    $("pause").addEventListener("click", togglePause);
    $("clear").addEventListener("click", clearFeed);
    $("filters").addEventListener("input", applyFilter);
    $("filters").addEventListener("change", applyFilter);
    $("filters").addEventListener("submit", (e) => e.preventDefault());
    startEvents();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
