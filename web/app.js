// The Carillon phone console. One WebSocket carries the control protocol's JSON requests and
// answers, the events stream and, while shouting, the microphone's 20 ms frames (binary).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const ROLES = { viewer: 0, teacher: 1, leader: 2, admin: 3, bureau: 0 };
  let lang = localStorage.getItem("carillon.lang") || "zh";
  let me = null;          // { name, role, zones, groups }
  let csrf = "";
  let ws = null;
  let nextId = 1;
  const pending = new Map();
  let status = null, plans = [], planStatus = null, clips = [];
  let backoff = 500;

  // ---------- words ----------
  function t(key, ...args) {
    const table = window.I18N[lang] || window.I18N.zh;
    let s = table[key] || window.I18N.zh[key] || key;
    args.forEach((a, i) => { s = s.replace("{" + i + "}", a); });
    return s;
  }
  function applyWords() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
    document.querySelectorAll("[data-tp]").forEach((el) => { el.placeholder = t(el.dataset.tp); });
    $("lang").textContent = lang === "zh" ? "EN" : "中文";
    renderAll();
  }
  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("carillon.lang", lang);
    applyWords();
  });
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  const can = (role) => me && ROLES[me.role] >= ROLES[role] && me.role !== "bureau";
  const time = (iso) => iso ? new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "";
  function note(id, text, error) { const n = $(id); n.textContent = text || ""; n.classList.toggle("error", !!error); }

  // ---------- pages ----------
  function show(page) {
    document.querySelectorAll(".page").forEach((p) => { p.hidden = p.id !== "page-" + page; });
    document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.page === page));
    location.hash = page;
    if (page === "log") loadLog();
    if (page === "play") loadClips();
    if (page === "later") laterDefaults();
  }
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => show(b.dataset.page)));

  // ---------- the connection ----------
  function request(cmd, args) {
    return new Promise((resolve, reject) => {
      if (!ws || ws.readyState !== WebSocket.OPEN) return reject({ code: "offline", message: t("status.offline") });
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, cmd, args: args || {}, csrf }));
    });
  }
  function connect() {
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      backoff = 500;
      $("banner").hidden = true;
      request("events", {}).catch(() => {});
      refresh();
    };
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      if (msg.event) return onEvent(msg);
      const waiting = msg.id !== undefined && pending.get(msg.id);
      if (!waiting) return;
      pending.delete(msg.id);
      if (msg.ok) waiting.resolve(msg.result); else waiting.reject(msg.error || { message: "?" });
    };
    ws.onclose = (e) => {
      for (const p of pending.values()) p.reject({ code: "offline", message: t("status.offline") });
      pending.clear();
      shoutGone("offline");
      if (e.code === 1008) return signedOut(t("signedout.revoked"));
      $("banner").textContent = t("status.offline");
      $("banner").hidden = false;
      // A refused upgrade looks like a plain close: ask the session whether we are still paired.
      fetch("/api/session", { credentials: "same-origin" }).then((r) => {
        if (r.status === 401) signedOut(t("signedout.revoked"));
        else setTimeout(connect, backoff = Math.min(backoff * 2, 8000));
      }).catch(() => setTimeout(connect, backoff = Math.min(backoff * 2, 8000)));
    };
  }
  function signedOut(why) {
    $("signed-out").hidden = false;
    if (why) $("signed-out-why").textContent = why;
    document.body.dataset.state = "signed-out";
  }
  function refresh() {
    request("status").then((s) => { status = s; renderStatus(); renderZonePickers(); }).catch(() => {});
    request("plan.status").then((s) => { planStatus = s; renderPlan(); }).catch(() => {});
    request("plan.list").then((l) => { plans = l.plans; renderPlans(); }).catch(() => {});
  }
  let refreshTimer = null;
  function refreshSoon() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 150); }

  function onEvent(e) {
    if (e.event === "shout.ended" && shout.play && e.play === shout.play) shoutGone(e.outcome);
    if (e.event === "plan.started" || e.event === "plan.resumed") taskAlert(e);
    if (e.event === "web.revoked" && me && e.person === me.name) signedOut(t("signedout.revoked"));
    if (/^(play|shout|plan|output|config)\./.test(e.event)) refreshSoon();
    if (/^announce\./.test(e.event) && !$("page-later").hidden) loadLater();
    if (e.event === "plan.acked") request("plan.status").then((s) => { planStatus = s; renderPlan(); }).catch(() => {});
  }

  // ---------- 状态 ----------
  function renderStatus() {
    if (!status) return;
    const byPlay = new Map(status.playing.map((p) => [p.play, p]));
    $("zones").replaceChildren(...status.zones.map((z) => {
      const sounding = z.sounding.map((id) => byPlay.get(id)).filter(Boolean);
      return el("li", { "data-zone": z.zone },
        el("span", { class: "grow" }, el("b", {}, z.zone), " ", el("span", { class: "small" }, z.output)),
        sounding.length ? sounding.map((p) => el("span", { class: "tag " + p.level, "data-clip": p.clip }, p.clip + " · " + p.level))[0]
          : el("span", { class: "small" }, t("status.idle")));
    }));
    $("outputs").replaceChildren(...status.outputs.map((o) =>
      el("li", {}, el("span", { class: "grow" }, el("b", {}, o.name), " ", el("span", { class: "small" }, o.device)),
        el("span", { class: "tag " + o.state }, o.state === "fault" ? t("status.fault") + ": " + (o.fault || "") : o.state))));
  }
  function renderPlan() {
    const active = planStatus && planStatus.active;
    const banner = $("banner");
    if (active) {
      banner.textContent = t(active.drill ? "status.drill" : "status.plan", active.title);
      banner.hidden = false;
    } else if (ws && ws.readyState === WebSocket.OPEN) banner.hidden = true;
    const box = $("running");
    box.hidden = !active;
    if (active) {
      box.replaceChildren(el("p", {}, t("plans.running", active.drill ? t("tasks.drill", active.title) : active.title, active.title, active.cycle, active.by)),
        can("leader") ? el("button", { type: "button", class: "danger", id: "plan-stop", onclick: stopPlan }, t("plans.stop")) : null);
    }
    renderTasks();
  }
  function renderZonePickers() {
    if (!status) return;
    const mine = me && me.zones ? status.zones.filter((z) => me.zones.includes(z.zone)) : status.zones;
    // Zone groups ([[zone_group]]) whose zones are all the person's, after the zones; unticked.
    const names = new Set(mine.map((z) => z.zone));
    const groups = (status.zone_groups || []).filter((g) => g.zones.every((z) => names.has(z)));
    for (const id of ["play-zones", "say-zones", "shout-zones", "later-zones"]) {
      const box = $(id);
      const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
      const box2 = (value, isGroup) => el("label", isGroup ? { class: "group" } : {}, (() => {
        const i = el("input", { type: "checkbox", value });
        i.checked = checked.size ? checked.has(value) : !isGroup;
        if (isGroup) i.dataset.group = "1";
        return i;
      })(), value);
      box.replaceChildren(...mine.map((z) => box2(z.zone, false)), ...groups.map((g) => box2(g.name, true)));
    }
  }
  const pickedZones = (id) => {
    const zones = [...$(id).querySelectorAll("input:not([data-group])")];
    const on = [...$(id).querySelectorAll("input:checked")].map((i) => i.value);
    const allZones = zones.every((i) => i.checked) && on.length === zones.length;
    return allZones && !(me && me.zones) ? undefined : on;
  };

  // ---------- 播放 ----------
  let searchTimer = null;
  $("search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(loadClips, 250); });
  function loadClips() {
    const q = $("search").value.trim();
    request("library.list", q ? { search: q } : {}).then((l) => { clips = l.clips; renderClips(); }).catch((e) => note("play-note", t("error", e.message), true));
  }
  function renderClips() {
    note("play-note", can("teacher") ? (clips.length ? "" : t("play.none")) : t("play.viewer"));
    $("clips").replaceChildren(...clips.slice(0, 100).map((c) => el("li", { "data-clip": c.id },
      el("span", { class: "grow" }, el("b", {}, c.title), el("br"), el("span", { class: "small" }, c.id + (c.subject ? " · " + c.subject : ""))),
      can("teacher") ? el("button", { type: "button", class: "primary play", onclick: () => playClip(c) }, t("play.play")) : null)));
    const mine = status ? status.playing.filter((p) => p.level !== "emergency") : [];
    if (can("teacher") && mine.length) {
      $("clips").prepend(...mine.map((p) => el("li", { class: "playing" }, el("span", { class: "grow" }, p.clip),
        el("button", { type: "button", onclick: () => request("stop", { play: p.play }).then(refreshSoon) }, t("play.stop")))));
    }
  }
  function playClip(c) {
    request("play", { clip: c.id, zones: pickedZones("play-zones") })
      .then(() => { note("play-note", t("play.started", c.title)); refreshSoon(); })
      .catch((e) => note("play-note", t("error", e.message), true));
  }

  // ---------- 文字广播 ----------
  $("say-preview").addEventListener("click", () => {
    const text = $("say-text").value.trim();
    if (!text) return note("say-note", t("say.empty"), true);
    request("say.preview", { text }).then((p) => {
      $("say-shown").hidden = false;
      $("say-shown").replaceChildren(el("p", { class: "small" }, t("say.reads")), el("p", {}, p.normalized), el("p", { class: "small" }, p.pinyin.join(" ")));
      note("say-note", p.problems.join("; "));
    }).catch((e) => note("say-note", t("error", e.message), true));
  });
  $("say-send").addEventListener("click", () => {
    const text = $("say-text").value.trim();
    if (!text) return note("say-note", t("say.empty"), true);
    request("say", { text, zones: pickedZones("say-zones") }).then(() => note("say-note", t("say.sent")))
      .catch((e) => note("say-note", t("error", e.message), true));
  });

  // ---------- 预约 (announce later) ----------
  function laterDefaults() {
    const soon = new Date(Date.now() + 10 * 60000);
    const pad = (n) => String(n).padStart(2, "0");
    if (!$("later-date").value) $("later-date").value = soon.getFullYear() + "-" + pad(soon.getMonth() + 1) + "-" + pad(soon.getDate());
    if (!$("later-time").value) $("later-time").value = pad(soon.getHours()) + ":" + pad(soon.getMinutes());
    if ($("later-clip").options.length === 1) {
      request("library.list", {}).then((l) => {
        for (const c of l.clips) $("later-clip").append(el("option", { value: c.id }, c.title + " · " + c.id));
      }).catch(() => {});
    }
    loadLater();
  }
  function loadLater() {
    request("announce.list", {}).then((l) => {
      $("later-list").replaceChildren(...l.announcements.map((a) => el("li", { "data-announcement": a.announcement },
        el("span", { class: "grow" }, el("b", {}, new Date(a.at).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" })),
          " ", a.text || a.clip, el("br"), el("span", { class: "small" }, a.zones.join(",") + " · " + a.created_by)),
        can("teacher") ? el("button", { type: "button", class: "cancel", onclick: () => cancelLater(a) }, t("later.cancel")) : null)));
    }).catch((e) => note("later-note", t("error", e.message), true));
  }
  $("later-book").addEventListener("click", () => {
    const date = $("later-date").value, time = $("later-time").value;
    if (!date || !time) return note("later-note", t("later.when"), true);
    const at = new Date(date + "T" + time);
    const text = $("later-text").value.trim(), clip = $("later-clip").value;
    if (!text && !clip) return note("later-note", t("later.what"), true);
    const args = { at: at.toISOString(), zones: pickedZones("later-zones") };
    if (clip) args.clip = clip; else args.text = text;
    request("announce", args).then((a) => { note("later-note", t("later.booked", new Date(a.at).toLocaleString())); loadLater(); })
      .catch((e) => note("later-note", t("error", e.message), true));
  });
  function cancelLater(a) {
    request("announce.cancel", { announcement: a.announcement }).then(() => { note("later-note", t("later.cancelled")); loadLater(); })
      .catch((e) => note("later-note", t("error", e.message), true));
  }

  // ---------- 喊话 ----------
  const shout = { mic: null, live: false, starting: false, play: null, since: 0, timer: null, encoder: null, stamps: new Map() };
  async function micReady() {
    if (shout.mic) return shout.mic;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1, sampleRate: 48000 } });
    const ctx = new AudioContext({ sampleRate: 48000, latencyHint: "interactive" });
    await ctx.audioWorklet.addModule("mic-worklet.js");
    const node = new AudioWorkletNode(ctx, "mic-frames");
    const mute = ctx.createGain();
    mute.gain.value = 0;
    ctx.createMediaStreamSource(stream).connect(node).connect(mute).connect(ctx.destination);
    node.port.onmessage = (m) => onFrame(m.data, ctx);
    let opus = false;
    if (window.AudioEncoder) {
      try {
        const config = { codec: "opus", sampleRate: 48000, numberOfChannels: 1, bitrate: 32000, opus: { frameDuration: 20000 } };
        opus = (await AudioEncoder.isConfigSupported(config)).supported;
        if (opus) {
          shout.encoder = new AudioEncoder({
            output: (chunk) => {
              const bytes = new Uint8Array(chunk.byteLength);
              chunk.copyTo(bytes);
              const captured = shout.stamps.get(chunk.timestamp);
              shout.stamps.delete(chunk.timestamp);
              send(1, captured || Date.now(), bytes);
            },
            error: () => {}
          });
          shout.encoder.configure(config);
        }
      } catch (e) { opus = false; }
    }
    shout.mic = { ctx, codec: opus ? "opus" : "pcm16", stream };
    return shout.mic;
  }
  let timestamp = 0;
  function onFrame(frame, ctx) {
    // Captured when its last sample arrived: now, less what the context has played since.
    const captured = Date.now() - Math.max(0, ctx.currentTime - frame.end) * 1000;
    $("level").style.width = Math.min(100, Math.round(Math.sqrt(frame.rms) * 180)) + "%";
    if (!shout.live) return;
    if (shout.encoder) {
      timestamp += 20000;
      shout.stamps.set(timestamp, captured);
      const data = new AudioData({ format: "f32", sampleRate: 48000, numberOfFrames: frame.samples.length, numberOfChannels: 1, timestamp, data: frame.samples });
      shout.encoder.encode(data);
      data.close();
    } else {
      const pcm = new Int16Array(frame.samples.length);
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(frame.samples[i] * 32767)));
      send(2, captured, new Uint8Array(pcm.buffer));
    }
  }
  function send(codec, captured, payload) {
    if (!shout.live || !ws || ws.readyState !== WebSocket.OPEN) return;
    const buffer = new ArrayBuffer(9 + payload.length);
    const view = new DataView(buffer);
    view.setUint8(0, codec);
    view.setFloat64(1, captured, true);
    new Uint8Array(buffer, 9).set(payload);
    ws.send(buffer);
  }
  async function shoutStart() {
    if (shout.live || shout.starting) return;
    shout.starting = true;
    note("shout-note", "");
    try {
      const mic = await micReady();
      if (mic.ctx.state !== "running") await mic.ctx.resume();
      const accepted = await request("shout", { zones: pickedZones("shout-zones"), codec: mic.codec });
      shout.play = accepted.play;
      shout.live = true;
      shout.since = Date.now();
      $("talk").classList.add("live");
      $("talk").textContent = $("shout-latch").checked ? t("shout.tap") : t("shout.release");
      note("shout-note", t("shout.live"));
      shout.timer = setInterval(tick, 250);
      if (!shout.held && !$("shout-latch").checked) shoutStop();
    } catch (e) {
      const message = e.code === "busy" ? t("shout.busy", e.message) : e.name ? t("shout.nomic", e.message) : t("error", e.message);
      note("shout-note", message, true);
    } finally {
      shout.starting = false;
    }
  }
  function tick() {
    const s = Math.floor((Date.now() - shout.since) / 1000);
    $("shout-time").textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function shoutStop() {
    if (!shout.live) return;
    if (shout.encoder) shout.encoder.flush().catch(() => {}).finally(() => { if (ws && ws.readyState === 1) ws.send(JSON.stringify({ cmd: "shout.end" })); });
    else ws.send(JSON.stringify({ cmd: "shout.end" }));
    shout.live = false;
  }
  function shoutGone(outcome) {
    shout.live = false;
    clearInterval(shout.timer);
    $("talk").classList.remove("live");
    $("talk").textContent = t("shout.hold");
    if (shout.play) note("shout-note", t("shout.ended", outcome || ""), outcome && outcome !== "finished");
    shout.play = null;
  }
  const talk = $("talk");
  talk.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    if ($("shout-latch").checked) { if (shout.live) shoutStop(); else shoutStart(); return; }
    shout.held = true;
    talk.setPointerCapture(e.pointerId);
    shoutStart();
  });
  const release = () => { if ($("shout-latch").checked) return; shout.held = false; shoutStop(); };
  talk.addEventListener("pointerup", release);
  talk.addEventListener("pointercancel", release);
  talk.addEventListener("contextmenu", (e) => e.preventDefault());

  // ---------- 预案 ----------
  // The buttons are redrawn only when what they show changed, and never under a finger: every
  // bell or play refreshes the lists, and a redraw during a 2 s hold would lose the press.
  let plansShown = "", heldButton = null, plansStale = false;
  function renderPlans() {
    const shown = JSON.stringify([plans, $("drill").checked, can("leader")]);
    if (shown === plansShown) return;
    if (heldButton) { plansStale = true; return; }
    plansShown = shown;
    plansStale = false;
    note("plans-note", can("leader") ? "" : t("plans.leader"));
    $("plans").replaceChildren(...plans.map((p) => {
      const button = el("button", { type: "button", class: "hold danger", "data-plan": p.name }, el("span", { class: "fill" }), el("span", {}, t($("drill").checked ? "plans.startDrill" : "plans.start")));
      if (!can("leader")) button.disabled = true; else holdToStart(button, p);
      return el("li", { "data-plan": p.name }, el("span", { class: "grow" }, el("b", {}, p.title), el("br"), el("span", { class: "small" }, p.name + " · " + p.zones.join(","))), button);
    }));
  }
  $("drill").addEventListener("change", renderPlans);
  // Held 2 s, the button arms; released then, the plan starts. A shorter press does nothing.
  function holdToStart(button, plan) {
    let timer = null, armed = false;
    const reset = () => {
      clearTimeout(timer); timer = null; armed = false; button.classList.remove("holding", "armed");
      if (heldButton === button) { heldButton = null; if (plansStale) setTimeout(renderPlans, 0); }
    };
    button.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      heldButton = button;
      button.setPointerCapture(e.pointerId);
      button.classList.add("holding");
      timer = setTimeout(() => { armed = true; button.classList.add("armed"); if (navigator.vibrate) navigator.vibrate(80); }, 2000);
    });
    button.addEventListener("pointerup", () => {
      const go = armed;
      reset();
      if (!go) return;
      request("plan.start", { plan: plan.name, drill: $("drill").checked })
        .then((a) => { note("plans-note", t("plans.started", a.title)); planStatus = { active: a }; renderPlan(); })
        .catch((e) => note("plans-note", t("error", e.message), true));
    });
    button.addEventListener("pointercancel", reset);
    button.addEventListener("contextmenu", (e) => e.preventDefault());
  }
  function stopPlan() {
    request("plan.stop", {}).then(() => { note("plans-note", t("plans.stopped")); planStatus = { active: null }; renderPlan(); })
      .catch((e) => note("plans-note", t("error", e.message), true));
  }

  // ---------- 任务 ----------
  function myEntry() {
    const active = planStatus && planStatus.active;
    return active && me && (active.roll_call || []).find((r) => r.person === me.name);
  }
  function renderTasks() {
    const active = planStatus && planStatus.active;
    const mine = myEntry();
    $("mytasks").replaceChildren(mine
      ? el("div", { class: "card alarm" }, el("p", { class: "big" }, t(active.drill ? "tasks.drill" : "tasks.plan", active.title)),
        ...mine.tasks.map((task) => el("p", {}, task)),
        mine.acknowledged_at ? el("p", { class: "small", id: "acked" }, t("tasks.acked", time(mine.acknowledged_at)))
          : el("button", { type: "button", class: "danger", onclick: ack }, t("tasks.ack")))
      : el("p", { class: "note" }, t("tasks.none")));
    $("rollcall").replaceChildren(...((active && active.roll_call) || []).map((r) =>
      el("li", { "data-person": r.person }, el("span", { class: "grow" }, el("b", {}, r.person), el("br"), el("span", { class: "small" }, r.tasks.join(" / "))),
        el("span", { class: "tag " + (r.acknowledged_at ? "finished" : "fault") }, r.acknowledged_at ? t("tasks.acked", time(r.acknowledged_at)) : t("tasks.waiting")))));
  }
  let beeper = null;
  function taskAlert(e) {
    if (!e.task) return;
    $("task-plan").textContent = t(e.drill ? "tasks.drill" : "tasks.plan", e.title);
    $("task-text").textContent = e.task;
    $("task-alert").hidden = false;
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
    try {
      const ctx = new AudioContext();
      const beep = () => {
        const o = ctx.createOscillator(), g = ctx.createGain();
        o.frequency.value = 880; g.gain.value = 0.2;
        o.connect(g).connect(ctx.destination);
        o.start(); o.stop(ctx.currentTime + 0.3);
      };
      beep();
      clearInterval(beeper);
      beeper = setInterval(beep, 1500);
    } catch (err) { /* sound is a courtesy */ }
    request("plan.status").then((s) => { planStatus = s; renderPlan(); }).catch(() => {});
  }
  function ack() {
    request("plan.ack", {}).then((a) => {
      clearInterval(beeper);
      $("task-alert").hidden = true;
      return request("plan.status");
    }).then((s) => { planStatus = s; renderPlan(); }).catch((e) => { $("task-text").textContent += "\n" + t("error", e.message); });
  }
  $("task-ack").addEventListener("click", ack);

  // ---------- 日志 ----------
  function loadLog() {
    request("log.plays", { limit: 50 }).then((l) => {
      $("log").replaceChildren(...l.plays.map((p) => el("li", {},
        el("span", { class: "grow" }, el("b", {}, p.clip), " ", el("span", { class: "small" }, p.zones.join(",")), el("br"),
          el("span", { class: "small" }, time(p.requested_at) + " · " + t("log.by", p.requested_by))),
        el("span", { class: "tag " + (p.outcome || "running") }, p.outcome || "…"))));
    }).catch(() => {});
  }

  function renderAll() { renderStatus(); renderPlans(); renderPlan(); if (clips.length) renderClips(); }

  // ---------- start ----------
  fetch("/api/session", { credentials: "same-origin" }).then(async (r) => {
    if (!r.ok) { applyWords(); return signedOut(); }
    const s = await r.json();
    me = s.identity;
    csrf = s.csrf;
    $("who").textContent = me.name + " · " + me.role;
    document.body.dataset.role = me.role;
    applyWords();
    show((location.hash || "#status").slice(1));
    connect();
  }).catch(() => { applyWords(); signedOut(); });
})();
