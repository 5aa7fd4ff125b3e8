// The venue reception page: scans (a USB scanner types digits + Enter) are queued in
// localStorage and sent in order, one at a time, each with its own scan_id: a scan is never
// lost (it stays queued until the server answered it) and never counted twice (a resend of the
// same scan_id gets the first answer). Plain JS, no inline script (CSP: script-src 'self').
"use strict";

(function () {
  const QUEUE_KEY = "reception.queue";
  const TOKEN_KEY = "reception.token";
  const DESK_KEY = "reception.desk";
  const DEVICE_KEY = "reception.device";
  const LANG_KEY = "reception.lang";
  const $ = (id) => document.getElementById(id);

  const TEXT = {
    ja: {
      title: "会場受付", online: "オンライン", offline: "接続なし（読み取りは保存されます）",
      waiting: "送信待ち", desk: "窓口", login: "ログイン", username: "ユーザー名",
      password: "パスワード", scan_here: "はがきのバーコードを読み取ってください",
      ready: "受付できます", booked: "予約", checked_in: "受付済", not_yet: "未受付",
      no_show: "来場なし", slot: "枠", csv: "本日の名簿 (CSV)", search_title: "はがきを忘れた方",
      name: "氏名", birth: "生年月日", search: "検索", recent: "最近の読み取り",
      queued: "読み取りました（送信待ち）", o_checked_in: "受付完了",
      o_already_checked_in: "受付済みです", o_wrong_venue: "会場が違います",
      o_wrong_slot: "予約の時間ではありません", o_wrong_day: "予約日が違います",
      o_no_booking: "予約がありません", o_unknown_barcode: "登録のないバーコードです",
      o_mistyped_barcode: "バーコードの読み誤り（チェックデジット不一致）",
      o_error: "エラー", slot_at: "予約枠", venue_at: "予約の会場", when: "受付時刻",
      at_desk: "窓口", walk_in: "当日枠に受付", no_room: "空きのある枠はありません",
      pickup: "送迎あり", wheelchair: "車いす", companion: "付き添い",
      check_in: "受付", not_here_today: "本日この会場の予約なし", rescan: "もう一度読み取ってください",
      login_failed: "ユーザー名またはパスワードが違います", not_found: "見つかりません",
    },
    en: {
      title: "Venue reception", online: "Online", offline: "Offline (scans are kept)",
      waiting: "Waiting to send", desk: "Desk", login: "Log in", username: "User name",
      password: "Password", scan_here: "Scan the postcard's barcode",
      ready: "Ready", booked: "Booked", checked_in: "Checked in", not_yet: "Not yet",
      no_show: "No-show", slot: "Slot", csv: "Today's list (CSV)", search_title: "Forgot the postcard",
      name: "Name", birth: "Birth date", search: "Search", recent: "Recent scans",
      queued: "Scanned (waiting to send)", o_checked_in: "Checked in",
      o_already_checked_in: "Already checked in", o_wrong_venue: "Wrong venue",
      o_wrong_slot: "Not their time slot", o_wrong_day: "Booked on another day",
      o_no_booking: "No booking", o_unknown_barcode: "Unknown barcode",
      o_mistyped_barcode: "Misread barcode (check digit does not match)",
      o_error: "Error", slot_at: "Slot", venue_at: "Booked at", when: "Checked in at",
      at_desk: "desk", walk_in: "Walk in to", no_room: "No slot with room left",
      pickup: "pickup", wheelchair: "wheelchair", companion: "companion",
      check_in: "Check in", not_here_today: "no booking here today", rescan: "Please scan again",
      login_failed: "Wrong user name or password", not_found: "Nobody found",
    },
  };

  const params = new URLSearchParams(location.search);
  const state = {
    lang: localStorage.getItem(LANG_KEY) || "ja",
    token: params.get("token") || localStorage.getItem(TOKEN_KEY) || "",
    tz: "Asia/Tokyo",
    offset: 0, // server clock minus this device's clock, ms
    sending: false,
    retry: 0,
    timer: null,
    counter: 0,
    walkIns: true,
  };
  if (params.get("token")) localStorage.setItem(TOKEN_KEY, state.token);
  let device = localStorage.getItem(DEVICE_KEY);
  if (!device) {
    device = Math.random().toString(36).slice(2, 10);
    localStorage.setItem(DEVICE_KEY, device);
  }

  const t = (key) => (TEXT[state.lang] && TEXT[state.lang][key]) || TEXT.ja[key] || key;

  function applyLang() {
    document.documentElement.lang = state.lang;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    $("lang").textContent = state.lang === "ja" ? "English" : "日本語";
    setNet($("net").dataset.state === "online");
  }

  // ------------------------------------------------------------------ sound
  let audio = null;
  function beep(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tones = kind === "ok" ? [[880, 0, 0.12]] : kind === "queued" ? [[660, 0, 0.06]]
        : [[330, 0, 0.18], [262, 0.24, 0.3]];
      for (const [freq, at, len] of tones) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = kind === "ok" ? "sine" : "square";
        osc.frequency.value = freq;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + at);
        osc.stop(audio.currentTime + at + len);
      }
      document.body.dataset.lastSound = kind;
    } catch (err) {
      document.body.dataset.lastSound = "none";
    }
  }

  // ------------------------------------------------------------------ time
  const now = () => new Date(Date.now() + state.offset);
  function hm(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleTimeString("ja-JP", { timeZone: state.tz, hour: "2-digit", minute: "2-digit" });
  }
  function dayOf(iso) {
    return new Date(iso).toLocaleDateString(state.lang === "ja" ? "ja-JP" : "en-GB",
      { timeZone: state.tz, month: "short", day: "numeric", weekday: "short" });
  }

  // ------------------------------------------------------------------ queue
  function queue() {
    try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (err) { return []; }
  }
  function saveQueue(q) {
    localStorage.setItem(QUEUE_KEY, JSON.stringify(q));
    $("waiting").textContent = String(q.length);
    $("waiting").dataset.n = String(q.length);
  }
  function enqueue(item) {
    const q = queue();
    q.push(item);
    saveQueue(q);
    pump();
  }
  function newScanId() {
    state.counter += 1;
    return `${device}-${Date.now().toString(36)}-${state.counter}`;
  }
  function desk() {
    return ($("desk").value || "").trim() || "受付";
  }

  function scheduleRetry() {
    state.retry = Math.min(state.retry + 1, 5);
    clearTimeout(state.timer);
    state.timer = setTimeout(pump, 500 * state.retry);
  }

  async function pump() {
    if (state.sending || !state.token) return;
    const q = queue();
    if (!q.length) return;
    const item = q[0];
    state.sending = true;
    let resp;
    try {
      const path = item.slot_id ? "/api/reception/walk-ins" : "/api/reception/checkins";
      resp = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
        body: JSON.stringify(item),
        cache: "no-store",
      });
    } catch (err) {
      state.sending = false;
      setNet(false);
      scheduleRetry();
      return;
    }
    if (resp.status === 401) { state.sending = false; showLogin(); return; }
    if (resp.status >= 500 || resp.status === 429) {
      state.sending = false; setNet(false); scheduleRetry(); return;
    }
    setNet(true);
    state.retry = 0;
    let body = null;
    try { body = await resp.json(); } catch (err) { body = null; }
    if (resp.ok && !body) { // the answer was cut on the way: send it again (same scan_id)
      state.sending = false; setNet(false); scheduleRetry(); return;
    }
    // answered: done with it (still "sending" until now, so no second pump sends it again)
    saveQueue(queue().filter((x) => x.scan_id !== item.scan_id));
    state.sending = false;
    if (resp.ok && body) show(body); else showError(item, body);
    refresh();
    pump();
  }

  function setNet(up) {
    const el = $("net");
    el.dataset.state = up ? "online" : "offline";
    el.textContent = t(up ? "online" : "offline");
  }

  // ------------------------------------------------------------------ results
  function slotText(r) {
    if (!r.starts_at) return "";
    return `${dayOf(r.starts_at)} ${hm(r.starts_at)}–${hm(r.ends_at)}`;
  }
  function mobilityText(r) {
    if (!r.mobility || !r.mobility.length) return "";
    if (state.lang === "ja" && r.mobility_label) return r.mobility_label;
    return r.mobility.map(t).join(" · ");
  }

  function show(r) {
    const box = $("result");
    const ok = r.outcome === "checked_in";
    box.dataset.outcome = r.outcome;
    box.dataset.scan = r.scan_id;
    box.className = `result ${ok ? "ok" : "warning"}`;
    $("result-title").textContent = t(`o_${r.outcome}`);
    $("result-name").textContent = r.name || r.barcode;
    let detail = "";
    if (ok) detail = `${t("slot_at")}: ${slotText(r)}`;
    else if (r.outcome === "already_checked_in") detail = `${t("when")}: ${hm(r.checked_in_at)} (${t("at_desk")} ${r.checked_in_desk})`;
    else if (r.outcome === "wrong_venue") detail = `${t("venue_at")}: ${r.venue_name} ${slotText(r)}`;
    else if (r.outcome === "wrong_slot" || r.outcome === "wrong_day") detail = `${t("slot_at")}: ${slotText(r)}`;
    else if (r.outcome === "unknown_barcode" || r.outcome === "mistyped_barcode") detail = `${r.barcode} — ${t("rescan")}`;
    $("result-detail").textContent = detail;
    const mob = mobilityText(r);
    $("result-mobility").hidden = !mob;
    $("result-mobility").textContent = mob;
    showWalkIns(r);
    addRecent(r.outcome, r.name || r.barcode, r.scan_id);
    beep(ok ? "ok" : "warning");
  }

  function showError(item, body) {
    const box = $("result");
    box.dataset.outcome = "error";
    box.className = "result warning";
    $("result-title").textContent = t("o_error");
    $("result-name").textContent = item.barcode;
    $("result-detail").textContent = (body && body.message) || "";
    $("result-mobility").hidden = true;
    $("walk-in").hidden = true;
    addRecent("error", item.barcode, item.scan_id);
    beep("warning");
  }

  function showWalkIns(r) {
    const box = $("walk-in");
    box.replaceChildren();
    box.hidden = r.outcome !== "no_booking" || !state.walkIns;
    if (box.hidden) return;
    if (!r.walk_in_slots.length) { box.textContent = t("no_room"); return; }
    for (const s of r.walk_in_slots) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "walk-in-slot";
      b.dataset.slot = String(s.slot_id);
      b.textContent = `${t("walk_in")} ${hm(s.starts_at)}–${hm(s.ends_at)} (${s.remaining})`;
      b.addEventListener("click", () => {
        box.hidden = true;
        enqueue({ scan_id: newScanId(), barcode: r.barcode, slot_id: s.slot_id, desk: desk(),
          scanned_at: now().toISOString() });
        focusScan();
      });
      box.appendChild(b);
    }
  }

  function showQueued(code) {
    const box = $("result");
    box.dataset.outcome = "queued";
    box.className = "result queued";
    $("result-title").textContent = t("queued");
    $("result-name").textContent = code;
    $("result-detail").textContent = "";
    $("result-mobility").hidden = true;
    $("walk-in").hidden = true;
    beep("queued");
  }

  function addRecent(outcome, label, scanId) {
    const li = document.createElement("li");
    li.dataset.outcome = outcome;
    li.dataset.scan = scanId;
    li.textContent = `${hm(now().toISOString())} ${t(`o_${outcome}`)} ${label}`;
    const list = $("recent");
    list.prepend(li);
    while (list.children.length > 12) list.lastChild.remove();
  }

  // ------------------------------------------------------------------ tally
  async function refresh() {
    if (!state.token) return;
    let resp;
    try {
      resp = await fetch("/api/reception", { headers: { Authorization: `Bearer ${state.token}` }, cache: "no-store" });
    } catch (err) { setNet(false); return; }
    if (resp.status === 401) { showLogin(); return; }
    if (!resp.ok) return;
    const info = await resp.json();
    state.tz = info.tz;
    state.walkIns = info.walk_ins;
    state.offset = new Date(info.now).getTime() - Date.now();
    $("venue").textContent = info.venue_name;
    const tl = info.tally;
    $("t-booked").textContent = tl.booked;
    $("t-checked-in").textContent = tl.checked_in;
    $("t-not-yet").textContent = tl.not_yet;
    $("t-no-show").textContent = tl.no_show;
    const rows = tl.slots.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.slot = String(s.slot_id);
      for (const v of [`${hm(s.starts_at)}–${hm(s.ends_at)}`, s.booked, s.checked_in, s.not_yet, s.no_show]) {
        const td = document.createElement("td");
        td.textContent = String(v);
        tr.appendChild(td);
      }
      return tr;
    });
    document.querySelector("#slots tbody").replaceChildren(...rows);
  }

  // ------------------------------------------------------------------ search
  async function search(ev) {
    ev.preventDefault();
    const q = new URLSearchParams({ name: $("search-name").value, birth: $("search-birth").value });
    $("search-error").textContent = "";
    const list = $("search-results");
    list.replaceChildren();
    let resp;
    try {
      resp = await fetch(`/api/reception/search?${q}`, { headers: { Authorization: `Bearer ${state.token}` } });
    } catch (err) { setNet(false); return; }
    const body = await resp.json();
    if (!resp.ok) { $("search-error").textContent = body.message || t("o_error"); return; }
    if (!body.candidates.length) { $("search-error").textContent = t("not_found"); return; }
    for (const c of body.candidates) {
      const li = document.createElement("li");
      const when = c.booked_here_at ? hm(c.booked_here_at) : t("not_here_today");
      li.textContent = `${c.name}  ${c.birth_date || ""}  ${when} `;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "pick";
      b.textContent = t("check_in");
      b.addEventListener("click", () => { scanned(c.barcode); list.replaceChildren(); focusScan(); });
      li.appendChild(b);
      list.appendChild(li);
    }
  }

  // ------------------------------------------------------------------ log-in
  function showLogin() {
    $("login").hidden = false;
    $("username").focus();
  }
  async function login(ev) {
    ev.preventDefault();
    $("login-error").textContent = "";
    let resp;
    try {
      resp = await fetch("/api/login", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: $("username").value, password: $("password").value }),
      });
    } catch (err) { setNet(false); return; }
    if (!resp.ok) { $("login-error").textContent = t("login_failed"); return; }
    const body = await resp.json();
    state.token = body.token;
    localStorage.setItem(TOKEN_KEY, state.token);
    $("password").value = "";
    $("login").hidden = true;
    if (!$("desk").value) $("desk").value = body.operator.username;
    await refresh();
    pump();
    focusScan();
  }

  async function downloadCsv() {
    const resp = await fetch("/api/reception/day.csv", { headers: { Authorization: `Bearer ${state.token}` } });
    if (!resp.ok) return;
    const url = URL.createObjectURL(await resp.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = (resp.headers.get("Content-Disposition") || "").split('"')[1] || "reception.csv";
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ------------------------------------------------------------------ the scanner
  function scanned(raw) {
    const code = raw.trim();
    if (!code) return;
    enqueue({ scan_id: newScanId(), barcode: code, desk: desk(), scanned_at: now().toISOString() });
    if ($("net").dataset.state !== "online" || state.sending) showQueued(code);
  }
  function focusScan() {
    const active = document.activeElement;
    if (active && active !== $("scan") && active.tagName === "INPUT") return;
    $("scan").focus();
  }

  function start() {
    $("desk").value = localStorage.getItem(DESK_KEY) || "";
    $("desk").addEventListener("change", () => localStorage.setItem(DESK_KEY, $("desk").value.trim()));
    $("scan").addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      const value = $("scan").value;
      $("scan").value = "";
      scanned(value);
    });
    document.addEventListener("click", (ev) => {
      if (!(ev.target instanceof HTMLInputElement) && !(ev.target instanceof HTMLButtonElement)) focusScan();
    });
    $("lang").addEventListener("click", () => {
      state.lang = state.lang === "ja" ? "en" : "ja";
      localStorage.setItem(LANG_KEY, state.lang);
      applyLang();
      focusScan();
    });
    $("login-form").addEventListener("submit", login);
    $("search").addEventListener("submit", search);
    $("csv").addEventListener("click", downloadCsv);
    window.addEventListener("online", () => pump());
    setInterval(() => { $("clock").textContent = hm(now().toISOString()); }, 1000);
    setInterval(refresh, 30000);
    setInterval(pump, 5000); // a queue left by a closed tab or a lost link is sent when it can be
    applyLang();
    saveQueue(queue());
    if (!state.token) showLogin(); else { refresh(); pump(); }
    focusScan();
  }

  start();
})();
