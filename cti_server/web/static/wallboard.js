// Read-only TV wallboard: subscribes to the supervisor board over /ws with the page's ?token=
// (a kiosk account), renders each BoardUpdate, and ticks waiting / in-state times every second
// from the board's timestamps (corrected by the server's clock), so nothing is polled.
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || "";
  const limits = {  // colour thresholds; override with ?waiting_warn=3&waiting_bad=6&sl_warn=0.8 ...
    waiting_warn: +(params.get("waiting_warn") || 3), waiting_bad: +(params.get("waiting_bad") || 6),
    wait_warn: +(params.get("wait_warn") || 20), wait_bad: +(params.get("wait_bad") || 60),
    sl_warn: +(params.get("sl_warn") || 0.8), sl_bad: +(params.get("sl_bad") || 0.6),
  };
  const STATES = { available: "受付可", ringing: "呼出中", in_call: "通話中", busy: "使用中",
    paused: "休止", unavailable: "不在", logged_out: "ログアウト" };
  let board = null, skew = 0, backoff = 2000;

  const $ = (sel) => document.querySelector(sel);
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const def = (k) => (board && board.definitions[k] ? board.definitions[k].ja : "");
  const secs = (v) => (v == null ? "—" : mmss(v));
  function mmss(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
  }
  const pct = (v) => (v == null ? "—" : `${Math.round(v * 100)}%`);
  const now = () => Date.now() + skew;
  const since = (iso) => (iso ? (now() - Date.parse(iso)) / 1000 : null);
  function level(v, warn, bad, lowIsBad) {
    if (v == null) return "";
    if (lowIsBad) return v < bad ? "bad" : v < warn ? "warn" : "good";
    return v >= bad ? "bad" : v >= warn ? "warn" : "good";
  }
  function tile(q, key, label, value, cls, defKey) {
    return `<div class="tile ${cls || ""}" data-q="${esc(q)}" data-k="${key}">` +
      `<div class="label">${label}</div><div class="value" data-v="${key}">${esc(value)}</div>` +
      `<div class="def">${esc(def(defKey || key))}</div></div>`;
  }
  function renderQueues() {
    const html = board.queues.map((q) => {
      const t = q.today;
      const wait = q.oldest_queued_at ? since(q.oldest_queued_at) : 0;
      const sl = board.settings.service_level_seconds;
      return `<div class="queue"><h2>${esc(q.name)}</h2><div class="tiles">` +
        tile(q.name, "waiting", "待ち呼", q.waiting, level(q.waiting, limits.waiting_warn, limits.waiting_bad)) +
        tile(q.name, "longest_wait", "最長待ち", mmss(wait), level(wait, limits.wait_warn, limits.wait_bad)) +
        tile(q.name, "available", "受付可", q.available) +
        tile(q.name, "ringing", "呼出中", q.ringing) +
        tile(q.name, "in_call", "通話中", q.in_call) +
        tile(q.name, "paused", "休止", q.paused) +
        tile(q.name, "offered", "本日着信", t.offered) +
        tile(q.name, "answered", "応答", t.answered) +
        tile(q.name, "abandoned", "放棄", t.abandoned) +
        tile(q.name, "short_abandoned", "短時間放棄", t.short_abandoned) +
        tile(q.name, "service_level", `サービスレベル（${sl}秒）`, pct(t.service_level),
          level(t.service_level, limits.sl_warn, limits.sl_bad, true)) +
        tile(q.name, "avg_wait", "平均待ち", secs(t.avg_wait)) +
        tile(q.name, "p90_wait", "90%待ち", secs(t.p90_wait)) +
        tile(q.name, "avg_talk", "平均通話", secs(t.avg_talk)) +
        `</div></div>`;
    }).join("");
    $("#queues").innerHTML = html || `<div class="queue"><h2>キューの情報を待っています</h2></div>`;
  }
  function renderAgents() {
    $("#agents tbody").innerHTML = board.agents.map((a) =>
      `<tr data-agent="${esc(a.extension || a.interface)}"><td>${esc(a.extension)}</td>` +
      `<td>${esc(a.name)}</td><td><span class="state ${esc(a.state)}">${esc(STATES[a.state] || a.state)}</span></td>` +
      `<td class="num" data-since="${esc(a.since || "")}">${a.since ? mmss(since(a.since)) : ""}</td>` +
      `<td>${esc(a.paused_reason)}</td><td class="num">${a.answered_today}</td></tr>`).join("");
  }
  function renderBookings() {
    $("#bookings tbody").innerHTML = board.bookings.map((b) => {
      const p = b.capacity ? Math.round((100 * b.booked) / b.capacity) : 0;
      return `<tr><td>${esc(b.day.slice(5).replace("-", "/"))}</td><td>${esc(b.venue)}</td>` +
        `<td class="num">${b.booked} / ${b.capacity}<div class="bar"><div style="width:${p}%"></div></div></td></tr>`;
    }).join("");
    $("#mobility").textContent = `移動支援 未手配 ${board.mobility_open}件`;
    $("#mobility").title = def("mobility_open");
  }
  function render() {
    renderQueues(); renderAgents(); renderBookings();
    const st = $("#status");
    st.className = "status " + (board.pbx_connected ? "up" : "down");
    st.dataset.state = board.pbx_connected ? "live" : "pbx_down";
    st.textContent = board.pbx_connected ? "ライブ" : "PBX未接続（表示が古い可能性）";
    $("#defs").textContent = `集計: ${def("day")}　${board.day}`;
    document.body.dataset.day = board.day;
  }
  function tick() {
    $("#clock").textContent = new Date(now()).toLocaleTimeString("ja-JP", { timeZone: board ? board.tz : "Asia/Tokyo" });
    if (!board) return;
    for (const q of board.queues) {
      const el = document.querySelector(`.tile[data-q="${CSS.escape(q.name)}"][data-k="longest_wait"] .value`);
      if (el) el.textContent = mmss(q.oldest_queued_at ? since(q.oldest_queued_at) : 0);
    }
    for (const td of document.querySelectorAll("td[data-since]")) {
      if (td.dataset.since) td.textContent = mmss(since(td.dataset.since));
    }
  }
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`);
    ws.onopen = () => { backoff = 2000; ws.send(JSON.stringify({ type: "subscribe_board" })); };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === "board_update") {
        board = msg.board;
        skew = Date.parse(board.at) - Date.now();
        render(); tick();
      } else if (msg.type === "error") {
        const st = $("#status");
        st.className = "status down"; st.dataset.state = "error";
        st.textContent = `エラー: ${msg.message}`;
      }
    };
    ws.onclose = () => {
      const st = $("#status");
      if (st.dataset.state !== "error") { st.className = "status down"; st.dataset.state = "reconnecting"; st.textContent = "再接続中…"; }
      setTimeout(connect, backoff);
      backoff = Math.min(30000, backoff * 2);  // 2 s .. 30 s
    };
  }
  setInterval(tick, 1000);
  connect();
})();
