// Read-only TV wallboard: subscribes to the supervisor board over /ws with the page's ?token=
// (a kiosk account), renders each BoardUpdate, and ticks waiting / in-state times every second
// from the board's timestamps (corrected by the server's clock), so nothing is polled.
// A bad, expired or revoked token (the server closes the socket with code 4401 and the reason
// token_invalid or token_revoked; an expired one is told by its own exp claim), a token of another
// role than kiosk (query_token_kiosk_only: tokens go in URLs for kiosks only) or a
// refused subscription is said on the page, and the page stops reconnecting; while the socket
// or the server's PBX link is down the figures stay on screen, dimmed (body.stale).
// Definitions of the figures are in a legend shown on demand ("定義" button, ? key, ?legend=1).
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
  const CALLERS = { withheld: "非通知", payphone: "公衆電話", unavailable: "表示圏外", invalid: "番号不正" };
  const LEGEND = [["waiting", "待ち呼"], ["longest_wait", "最長待ち"], ["service_level", "サービスレベル"],
    ["callers", "待っている呼"], ["available", "受付可"], ["ringing", "呼出中"], ["in_call", "通話中"],
    ["paused", "休止"], ["offered", "本日着信"], ["answered", "応答"], ["abandoned", "放棄"],
    ["short_abandoned", "短時間放棄"], ["avg_wait", "平均待ち"], ["p90_wait", "90%待ち"],
    ["avg_talk", "平均通話"], ["answered_today", "本日応答"], ["operator", "名前"],
    ["bookings", "予約 / 定員"], ["mobility_open", "移動支援 未手配"], ["intents", "意向の経路"],
    ["to_assign", "未割当"], ["cannot_assign", "割当不可"], ["assigned", "指定予約"],
    ["checked_in", "受付済"], ["not_yet", "未受付"], ["no_show", "来場なし"], ["day", "集計の日"]];
  const CLOSE_BAD_TOKEN = 4401;
  let board = null, skew = 0, backoff = 2000, open = false, stopped = false;

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
  function tile(q, key, label, value, cls, extra) {
    return `<div class="tile ${cls || ""}" data-q="${esc(q)}" data-k="${key}" title="${esc(def(key))}">` +
      `<div class="label">${label}</div><div class="value" data-v="${key}">${esc(value)}</div>` +
      (extra || "") + `</div>`;
  }
  function renderQueues() {
    const html = board.queues.map((q) => {
      const t = q.today;
      const wait = q.oldest_queued_at ? since(q.oldest_queued_at) : 0;
      const formula = `<div class="formula" data-formula="${esc(board.settings.service_level_formula)}">` +
        `${esc(def("service_level_short"))}</div>`;
      return `<div class="queue"><h2>${esc(q.name)}</h2><div class="tiles key">` +
        tile(q.name, "waiting", "待ち呼", q.waiting,
          "key " + level(q.waiting, limits.waiting_warn, limits.waiting_bad)) +
        tile(q.name, "longest_wait", "最長待ち", mmss(wait),
          "key " + level(wait, limits.wait_warn, limits.wait_bad)) +
        tile(q.name, "service_level", "サービスレベル", pct(t.service_level),
          "key " + level(t.service_level, limits.sl_warn, limits.sl_bad, true), formula) +
        `</div><div class="tiles minor">` +
        tile(q.name, "available", "受付可", q.available) +
        tile(q.name, "ringing", "呼出中", q.ringing) +
        tile(q.name, "in_call", "通話中", q.in_call) +
        tile(q.name, "paused", "休止", q.paused) +
        tile(q.name, "offered", "本日着信", t.offered) +
        tile(q.name, "answered", "応答", t.answered) +
        tile(q.name, "abandoned", "放棄", t.abandoned) +
        tile(q.name, "short_abandoned", "短時間放棄", t.short_abandoned) +
        tile(q.name, "avg_wait", "平均待ち", secs(t.avg_wait)) +
        tile(q.name, "p90_wait", "90%待ち", secs(t.p90_wait)) +
        tile(q.name, "avg_talk", "平均通話", secs(t.avg_talk)) +
        `</div></div>`;
    }).join("");
    $("#queues").innerHTML = html || `<div class="queue"><h2>キューの情報を待っています</h2></div>`;
  }
  function renderCallers() {
    const rows = board.queues.flatMap((q) => q.callers);
    rows.sort((a, b) => Date.parse(a.queued_at) - Date.parse(b.queued_at));
    $("#callers tbody").innerHTML = rows.map((c) => {
      const number = c.caller_status === "number" && c.number ? c.number : (CALLERS[c.caller_status] || "番号なし");
      return `<tr data-status="${esc(c.caller_status)}"><td class="num">${c.position}</td>` +
        `<td class="${c.caller_status === "number" ? "" : "withheld"}">${esc(number)}</td>` +
        `<td class="num" data-since="${esc(c.queued_at)}">${mmss(since(c.queued_at))}</td></tr>`;
    }).join("") || `<tr><td colspan="3">いま待っている呼はありません</td></tr>`;
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
    const i = board.intents;
    $("#intents").textContent = i ? `意向 はがき${i.postcard} ウェブ${i.web} 電話${i.phone} 未回答${i.none_yet}` : "";
    const a = board.assignment, assigned = a ? a.days.reduce((n, d) => n + d.assigned, 0) : 0;
    const line = $("#assignment");
    line.textContent = a ? `指定予約 ${assigned}件 未割当${a.to_assign} 割当不可${a.cannot_assign}` : "";
    line.title = ["assigned", "to_assign", "cannot_assign"].map(def).filter(Boolean).join("\n");
    renderCheckins();
  }
  function renderCheckins() {
    const venues = board.checkins || [];
    $("#checkins-panel").hidden = venues.length === 0;
    $("#checkins tbody").innerHTML = venues.map((v) =>
      `<tr data-venue="${v.venue_id}"><td>${esc(v.venue)}</td><td class="num">${v.booked}</td>` +
      `<td class="num" data-k="checked_in">${v.checked_in}</td><td class="num">${v.not_yet}</td>` +
      `<td class="num" data-k="no_show">${v.no_show}</td></tr>`).join("");
  }
  function renderLegend() {
    $("#definitions").innerHTML = LEGEND.filter(([k]) => def(k)).map(([k, label]) =>
      `<dt>${esc(label)}</dt><dd data-def="${k}">${esc(def(k))}</dd>`).join("");
  }
  function showStatus(cls, state, text) {
    const st = $("#status");
    st.className = "status " + cls; st.dataset.state = state; st.textContent = text;
  }
  function setStale() {  // figures on screen but not live: dimmed
    const stale = !open || !board || !board.pbx_connected;
    document.body.classList.toggle("stale", Boolean(board) && stale);
    document.body.dataset.stale = String(Boolean(board) && stale);
  }
  function render() {
    renderQueues(); renderCallers(); renderAgents(); renderBookings(); renderLegend();
    if (board.pbx_connected) showStatus("up", "live", `ライブ ${board.day}`);
    else showStatus("down", "pbx_down", "PBX未接続（表示は古い情報です）");
    document.body.dataset.day = board.day;
    setStale();
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
  function stop(state, title, detail) {  // nothing to retry: say why, once, in large type
    stopped = true;
    showStatus("down", state, title);
    const notice = $("#notice");
    notice.innerHTML = `${esc(title)}<small>${esc(detail)}</small>`;
    notice.hidden = false;
    document.body.dataset.stopped = state;
    setStale();
  }
  function tokenExpired() {  // the server says token_invalid; the token's own exp tells why
    try {
      const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return typeof claims.exp === "number" && claims.exp * 1000 < Date.now();
    } catch (e) {
      return false;
    }
  }
  function badToken(reason) {
    const expired = /expired/i.test(reason || "") || (reason === "token_invalid" && tokenExpired());
    stop(expired ? "token_expired" : "bad_token",
      expired ? "ウォールボードのトークンの有効期限が切れています" : "ウォールボードのトークンが無効です",
      `新しいウォールボードのURLを管理者に発行してもらってください。（サーバー: ${reason || "unauthorized"}）`);
  }
  function forbidden(detail) {
    stop("forbidden", "このアカウントではボードを表示できません",
      `キオスクのトークンが必要です。（サーバー: ${detail}）`);
  }
  function connect() {
    if (!token) { badToken("missing token"); return; }
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`);
    ws.onopen = () => { open = true; backoff = 2000; ws.send(JSON.stringify({ type: "subscribe_board" })); };
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.type === "board_update") {
        board = msg.board;
        skew = Date.parse(board.at) - Date.now();
        render(); tick();
      } else if (msg.type === "error" && msg.error === "forbidden") {
        forbidden(msg.message);
        ws.close();
      } else if (msg.type === "error") {
        showStatus("down", "error", `エラー: ${msg.message}`);
      }
    };
    ws.onclose = (e) => {
      open = false;
      if (e.code === CLOSE_BAD_TOKEN && e.reason === "query_token_kiosk_only") forbidden(e.reason);
      else if (e.code === CLOSE_BAD_TOKEN) badToken(e.reason);
      if (stopped) return;
      showStatus("down", "reconnecting", "再接続中…（表示は古い情報です）");
      setStale();
      setTimeout(connect, backoff);
      backoff = Math.min(30000, backoff * 2);  // 2 s .. 30 s
    };
  }
  function toggleLegend(show) {
    const legend = $("#legend");
    legend.hidden = show === undefined ? !legend.hidden : !show;
  }
  $("#legend-button").addEventListener("click", () => toggleLegend());
  document.addEventListener("keydown", (e) => {
    if (e.key === "?" || e.key === "F1") { e.preventDefault(); toggleLegend(); }
    else if (e.key === "Escape") toggleLegend(false);
  });
  if (params.get("legend") === "1") toggleLegend(true);
  setInterval(tick, 1000);
  connect();
})();
