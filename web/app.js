// stream-ocr page: live video with OCR boxes, text panel, HUD, browser camera, still-image OCR.
"use strict";

const socket = io({ transports: ["websocket", "polling"] });
const $ = (id) => document.getElementById(id);
const view = $("view");
const ctx = view.getContext("2d");
const select = $("stream-select");
const cameraVideo = $("camera");
const CAMERA = "__camera__";

const state = {
  streamId: null,        // the stream we watch (configured id, or cam-<sid>)
  usingCamera: false,
  frames: [],            // buffered preview frames: {frameId, capturedAt, blob, arrival}
  results: [],           // recent ocr_result events, oldest first
  latencyMs: [],         // recent capture-to-result latencies
  shown: null,           // {frameId, bitmap}
  goneAt: new Map(),     // track id -> capture times of the frames on which its text had gone
  decoding: false,
  cameraTimer: null,
  cameraPending: 0,      // time the unanswered camera frame was sent (0: none)
  boxesDrawn: 0,
};

// ---- stream list and selection -----------------------------------------------------------
socket.on("connect", () => setStatus("connected", ""));
socket.on("disconnect", () => setStatus("disconnected", "reconnecting to the server…"));
socket.on("streams", ({ streams }) => {
  const previous = select.value;
  select.innerHTML = '<option value="">choose a stream…</option>';
  for (const s of streams) {
    // On a Ray cluster a stream runs on some node: say which.
    const opt = new Option(`${s.id} (${s.source}${s.node ? `, on ${s.node}` : ""})`, s.id);
    select.add(opt);
  }
  select.add(new Option("My camera", CAMERA));
  const wanted = new URLSearchParams(location.search).get("stream");
  if (previous) select.value = previous;
  else if (wanted) select.value = wanted;
  else if (streams.length) select.value = streams[0].id;
  if (select.value !== (state.usingCamera ? CAMERA : state.streamId || "")) choose(select.value);
});
select.addEventListener("change", () => choose(select.value));

function choose(value) {
  stopCamera();
  if (state.streamId) socket.emit("leave", { stream_id: state.streamId });
  resetView();
  if (!value) { state.streamId = null; return; }
  if (value === CAMERA) { startCamera(); return; }
  state.streamId = value;
  socket.emit("join", { stream_id: value });
}

function resetView() {
  state.frames = []; state.results = []; state.latencyMs = []; state.shown = null; state.goneAt = new Map();
  $("texts").innerHTML = "";
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, view.width, view.height);
}

function setStatus(status, reason) {
  const el = $("status");
  el.textContent = reason ? `${status}: ${reason}` : status;
  el.className = "status " + status;
  el.dataset.status = status;
}

socket.on("stream_status", (s) => { if (s.stream_id === state.streamId) setStatus(s.status, s.reason); });
socket.on("error", (e) => setStatus("error", e.error));
socket.on("frame_error", (e) => console.warn("frame error", e));

// ---- incoming frames and results ---------------------------------------------------------
socket.on("frame", (f) => {
  if (f.stream_id !== state.streamId) return;
  state.frames.push({ frameId: f.frame_id, capturedAt: f.captured_at, blob: new Blob([f.jpeg], { type: "image/jpeg" }), arrival: performance.now(), width: f.width, height: f.height, boxes: f.boxes || [], gone: f.gone || [] });
  if (state.frames.length > 150) state.frames.splice(0, state.frames.length - 150);
});

socket.on("ocr_result", (r) => {
  if (r.stream_id !== state.streamId) return;
  state.results.push(r);
  if (state.results.length > 30) state.results.shift();
  // Lines whose text had gone by a frame sent before this result came (a cut meanwhile):
  // that frame was followed with an older result, so it cannot say so itself.
  for (const [trackId, taken] of r.gone_at || []) state.goneAt.set(trackId, [...(state.goneAt.get(trackId) || []), taken]);
  for (const [trackId, times] of state.goneAt) {
    const recent = times.filter((t) => t > r.captured_at - 60);
    if (recent.length) state.goneAt.set(trackId, recent); else state.goneAt.delete(trackId);
  }
  state.latencyMs.push(r.latency_ms);
  if (state.latencyMs.length > 20) state.latencyMs.shift();
  if (state.usingCamera) state.cameraPending = 0;
  renderTexts(r);
});

socket.on("metrics", (m) => {
  if (m.stream_id !== state.streamId) return;
  $("hud-capture").textContent = m.capture_fps.toFixed(1);
  $("hud-inference").textContent = m.inference_fps.toFixed(2);
  $("hud-latency").textContent = `${Math.round(m.latency_p50_ms)} / ${Math.round(m.latency_p95_ms)}`;
  $("hud-dropped").textContent = m.dropped;
  $("hud-skipped").textContent = m.skipped;
});

function median(values) {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// The server's clock, estimated from the newest frame's capture time and its arrival.
function serverNow() {
  const last = state.frames[state.frames.length - 1];
  if (!last) return null;
  return last.capturedAt + (performance.now() - last.arrival) / 1000;
}

// Which buffered frame to show: with sync on, the video runs late by the OCR latency, so
// that each result arrives before its own frame is shown and boxes sit on that frame.
function pickFrame() {
  if (!state.frames.length) return null;
  if (!$("sync").checked) return state.frames[state.frames.length - 1];
  const now = serverNow();
  const delay = (median(state.latencyMs) + 150) / 1000;
  let chosen = state.frames[0];
  for (const f of state.frames) { if (f.capturedAt <= now - delay) chosen = f; else break; }
  return chosen;
}

// The newest result no newer than the shown frame (with sync off: the newest result).
// Boxes from a frame more than STALE_S older than the shown one are not drawn: when OCR
// stalls, old boxes must not sit on a scene that has moved on.
const STALE_S = 4;
function pickResult(frame) {
  if (!state.results.length) return null;
  let chosen = state.results[state.results.length - 1];
  if ($("sync").checked) {
    chosen = null;
    for (const r of state.results) if (r.frame_id <= frame.frameId) chosen = r;
  }
  if (chosen && frame.capturedAt - chosen.captured_at > STALE_S) return null;
  return chosen;
}

// With "follow motion" on, a line is drawn where the server's optical flow carried its box
// on this very frame (the frame's `boxes`, by track id), so boxes move with the picture
// between results. A line whose box following dropped (the frame's `gone`: a cut, or it
// left the picture) is not drawn, nor one whose text a later result found gone by this
// frame (`gone_at`). Otherwise a line is drawn where it was read.
function drawBoxes(result, sx, sy, followed, gone, shownAt) {
  if (!result) return [];
  ctx.lineWidth = Math.max(2, view.width / 400);
  ctx.font = `${Math.max(14, Math.round(view.width / 45))}px system-ui, sans-serif, "Stream OCR CJK"`;
  ctx.textBaseline = "bottom";
  const items = result.lines || result.detections;
  const moved = new Map();
  if (followed && $("follow").checked) for (const b of followed) moved.set(b.track_id, b.points);
  const dropped = new Set($("follow").checked ? gone || [] : []);
  const drawn = [];
  const goneBy = (id) => shownAt !== undefined
    && (state.goneAt.get(id) || []).some((t) => t > result.captured_at && t <= shownAt);
  for (const d of items) {
    if (dropped.has(d.track_id) && !moved.has(d.track_id)) continue;
    if ($("follow").checked && goneBy(d.track_id)) continue;
    drawn.push(d.text);
    loadCjkFont(d.text);
    const pts = (moved.get(d.track_id) || d.points).map(([x, y]) => [x * sx, y * sy]);
    ctx.strokeStyle = "#3f3";
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.stroke();
    const [x, y] = pts[0];
    const w = ctx.measureText(d.text).width + 8;
    ctx.fillStyle = "rgba(0,0,0,.65)";
    ctx.fillRect(x, y - parseInt(ctx.font) - 4, w, parseInt(ctx.font) + 4);
    ctx.fillStyle = "#fff";
    ctx.fillText(d.text, x + 4, y - 2);
  }
  return drawn;
}

// A canvas does not fetch a web font by itself: the first Chinese or Japanese text asks for
// the page's CJK font (style.css), and the frames drawn once it has come use it.
const CJK = /[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff65]/;
let cjkFont = null;
function loadCjkFont(text) {
  if (cjkFont || !CJK.test(text) || !document.fonts) return;
  cjkFont = document.fonts.load('16px "Stream OCR CJK"', text).then((faces) => {
    view.dataset.cjkFont = faces.length ? "loaded" : "missing";
  });
}

// The texts drawn on the frame shown, for screen readers (and the browser tests).
function noteBoxes(texts) {
  if (texts.length) { state.boxesDrawn += texts.length; view.dataset.boxesDrawn = state.boxesDrawn; }
  const label = texts.length ? `live video; text on it: ${texts.join("; ")}` : "live video; no text shown on it";
  if (view.getAttribute("aria-label") !== label) view.setAttribute("aria-label", label);
}

async function render() {
  requestAnimationFrame(render);
  if (state.usingCamera) {
    if (cameraVideo.readyState >= 2) {
      if (view.width !== cameraVideo.videoWidth) { view.width = cameraVideo.videoWidth; view.height = cameraVideo.videoHeight; }
      ctx.drawImage(cameraVideo, 0, 0);
      const r = state.results[state.results.length - 1];
      if (r) noteBoxes(drawBoxes(r, view.width / r.width, view.height / r.height));
    }
    return;
  }
  const frame = pickFrame();
  if (!frame || state.decoding) return;
  if (!state.shown || state.shown.frameId !== frame.frameId) {
    state.decoding = true;
    try {
      const bitmap = await createImageBitmap(frame.blob);
      if (state.shown) state.shown.bitmap.close();
      state.shown = { frameId: frame.frameId, capturedAt: frame.capturedAt, bitmap, width: frame.width, height: frame.height, boxes: frame.boxes, gone: frame.gone };
      // Frames older than the one shown are never needed again.
      state.frames = state.frames.filter((f) => f.frameId >= frame.frameId);
    } finally { state.decoding = false; }
  }
  const shown = state.shown;
  if (view.width !== shown.bitmap.width) { view.width = shown.bitmap.width; view.height = shown.bitmap.height; }
  ctx.drawImage(shown.bitmap, 0, 0);
  noteBoxes(drawBoxes(pickResult(shown), view.width / shown.width, view.height / shown.height, shown.boxes, shown.gone, shown.capturedAt));
}
requestAnimationFrame(render);

// ---- the text panel ----------------------------------------------------------------------
function renderTexts(result) {
  const list = $("texts");
  list.innerHTML = "";
  // Lines come in reading order from the server.
  const items = result.lines || result.detections;
  for (const d of items) {
    const li = document.createElement("li");
    li.textContent = d.text;
    const small = document.createElement("small");
    small.textContent = d.confidence == null ? "" : `${Math.round(d.confidence * 100)}%`;
    li.appendChild(small);
    li.title = "click to copy";
    li.addEventListener("click", () => copy(d.text, li));
    list.appendChild(li);
  }
}

async function copy(text, el) {
  try { await navigator.clipboard.writeText(text); }
  catch {
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    document.execCommand("copy"); area.remove();
  }
  el.classList.add("copied");
  setTimeout(() => el.classList.remove("copied"), 600);
}

// ---- the browser's own camera ------------------------------------------------------------
async function startCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
    cameraVideo.srcObject = stream;
    await cameraVideo.play();
  } catch (e) {
    setStatus("error", `camera unavailable: ${e.message}`);
    return;
  }
  state.usingCamera = true;
  state.streamId = "cam-" + socket.id;
  socket.emit("camera_start");
  const grab = document.createElement("canvas");
  state.cameraTimer = setInterval(() => {
    // One frame in flight at a time (or a fresh one after 3 s without an answer).
    if (cameraVideo.readyState < 2) return;
    if (state.cameraPending && performance.now() - state.cameraPending < 3000) return;
    const scale = Math.min(1, 640 / Math.max(cameraVideo.videoWidth, cameraVideo.videoHeight));
    grab.width = Math.round(cameraVideo.videoWidth * scale);
    grab.height = Math.round(cameraVideo.videoHeight * scale);
    grab.getContext("2d").drawImage(cameraVideo, 0, 0, grab.width, grab.height);
    state.cameraPending = performance.now();
    grab.toBlob(async (blob) => socket.emit("camera_frame", await blob.arrayBuffer()), "image/jpeg", 0.8);
  }, 200);
}

function stopCamera() {
  if (!state.usingCamera) return;
  clearInterval(state.cameraTimer);
  socket.emit("camera_stop");
  const stream = cameraVideo.srcObject;
  if (stream) stream.getTracks().forEach((t) => t.stop());
  cameraVideo.srcObject = null;
  state.usingCamera = false;
  state.cameraPending = 0;
}

// ---- still images: the original app's drag-and-drop OCR ----------------------------------
const drop = $("drop");
["dragenter", "dragover"].forEach((ev) => drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((ev) => drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (e) => { if (e.dataTransfer.files.length) readStill(e.dataTransfer.files[0]); });
$("file-input").addEventListener("change", (e) => { if (e.target.files.length) readStill(e.target.files[0]); });

function readStill(file) {
  const reader = new FileReader();
  reader.onload = async () => {
    const error = $("still-error");
    error.hidden = true;
    $("still-texts").innerHTML = "<li>reading…</li>";
    try {
      const res = await fetch("/api/", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ image: reader.result }) });
      const body = await res.json();
      if (!res.ok) throw new Error(body.error || res.statusText);
      await showStill(reader.result, body);
    } catch (e) {
      $("still-texts").innerHTML = "";
      error.textContent = e.message;
      error.hidden = false;
    }
  };
  reader.readAsDataURL(file);
}

async function showStill(dataUrl, body) {
  const img = new Image();
  img.src = dataUrl;
  await img.decode();
  const canvas = $("still-canvas");
  canvas.width = body.width; canvas.height = body.height; canvas.hidden = false;
  const c = canvas.getContext("2d");
  c.drawImage(img, 0, 0, body.width, body.height);
  c.strokeStyle = "#3f3"; c.lineWidth = Math.max(2, body.width / 400);
  for (const d of body.detections) {
    c.beginPath();
    d.points.forEach(([x, y], i) => (i ? c.lineTo(x, y) : c.moveTo(x, y)));
    c.closePath(); c.stroke();
  }
  const list = $("still-texts");
  list.innerHTML = "";
  for (const d of body.lines || body.detections) {
    const li = document.createElement("li");
    li.textContent = d.text;
    li.addEventListener("click", () => copy(d.text, li));
    list.appendChild(li);
  }
  if (!body.detections.length) list.innerHTML = "<li>no text found</li>";
}

// ---- video files: upload, progress, timeline, downloads ----------------------------------
let currentJob = null;

// This visitor's video jobs (their ids are the right to see them): the history search
// names them, so a visitor finds its own uploads' text and nobody else's.
function myJobs() {
  try { return JSON.parse(localStorage.getItem("stream-ocr-jobs") || "[]").slice(0, 20); } catch { return []; }
}
function rememberJob(jobId) {
  const jobs = [jobId, ...myJobs().filter((j) => j !== jobId)].slice(0, 20);
  try { localStorage.setItem("stream-ocr-jobs", JSON.stringify(jobs)); } catch { /* private mode */ }
}
$("video-input").addEventListener("change", (e) => { if (e.target.files.length) uploadVideo(e.target.files[0]); });

function fmtTime(t) {
  const m = Math.floor(t / 60), s = (t - 60 * m).toFixed(1).padStart(4, "0");
  return `${m}:${s}`;
}

function uploadVideo(file) {
  const status = $("video-status"), bar = $("video-progress");
  $("video-result").hidden = true;
  bar.hidden = false; bar.value = 0;
  const player = $("video-player");
  player.src = URL.createObjectURL(file);
  const form = new FormData();
  form.append("video", file);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/videos");
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) { bar.value = e.loaded / e.total; status.textContent = `uploading ${Math.round(100 * e.loaded / e.total)}%`; } };
  xhr.onload = () => {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch { body = { error: xhr.statusText }; }
    if (xhr.status !== 202) { status.textContent = `error: ${body.error || xhr.status}`; status.className = "error"; bar.hidden = true; return; }
    currentJob = body.job_id;
    $("video-delete").hidden = false;
    rememberJob(currentJob);
    status.className = ""; status.textContent = "queued…"; bar.value = 0;
    socket.emit("watch_job", { job_id: currentJob });
  };
  xhr.onerror = () => { status.textContent = "upload failed"; status.className = "error"; };
  xhr.send(form);
}

// The visitor removes their job: the video, its results and its tracks in the history.
$("video-delete").addEventListener("click", async () => {
  const jobId = currentJob;
  if (!jobId) return;
  const res = await fetch(`/api/videos/${encodeURIComponent(jobId)}`, { method: "DELETE" });
  if (res.status === 204 || res.status === 404) {
    try { localStorage.setItem("stream-ocr-jobs", JSON.stringify(myJobs().filter((j) => j !== jobId))); } catch { /* private mode */ }
    currentJob = null;
    $("video-result").hidden = true; $("video-progress").hidden = true; $("video-delete").hidden = true;
    const player = $("video-player"); player.removeAttribute("src"); player.load();
    $("video-status").textContent = "deleted"; $("video-status").className = "";
  } else {
    $("video-status").textContent = `could not delete: ${res.status}`; $("video-status").className = "error";
  }
});

socket.on("video_progress", (p) => {
  if (p.job_id !== currentJob) return;
  const bar = $("video-progress");
  bar.value = p.total ? p.done / p.total : 0;
  $("video-status").textContent = `${p.done}/${p.total || "?"} frames, ${p.fps} fps` + (p.eta_s != null ? `, ${Math.ceil(p.eta_s)} s left` : "");
});

socket.on("video_state", (s) => {
  if (s.job_id === currentJob && s.state === "running") $("video-status").textContent = "reading…";
});

socket.on("video_error", (j) => {
  if (j.job_id !== currentJob) return;
  $("video-progress").hidden = true;
  const status = $("video-status");
  status.textContent = `error: ${j.error}`; status.className = "error";
  if (j.files && j.files.length) showDownloads(j);
});

socket.on("video_done", (j) => {
  if (j.job_id !== currentJob) return;
  $("video-progress").value = 1;
  const s = j.summary;
  const status = $("video-status");
  status.className = j.error ? "error" : "";
  status.textContent = `${s.cues} lines; ${s.frames_read} frames read, ${s.frames_followed || 0} followed a move, ${s.frames_skipped_unchanged} skipped as unchanged, in ${s.wall_s} s` + (j.error ? ` (${j.error})` : "");
  const list = $("timeline");
  list.innerHTML = "";
  // One entry per on-screen line or block (as the subtitle files have them), in time and reading order.
  for (const c of j.cues || []) {
    const li = document.createElement("li");
    li.textContent = c.text;
    li.dataset.start = c.start;
    const span = document.createElement("span");
    span.className = "time";
    span.textContent = `${fmtTime(c.start)}–${fmtTime(c.end)}`;
    li.appendChild(span);
    li.addEventListener("click", () => { const p = $("video-player"); p.currentTime = c.start; p.play().catch(() => {}); });
    list.appendChild(li);
  }
  showDownloads(j);
  $("video-result").hidden = false;
});

function showDownloads(j) {
  const links = $("downloads");
  links.innerHTML = "";
  for (const name of j.files) {
    const a = document.createElement("a");
    a.href = `/api/videos/${j.job_id}/files/${encodeURIComponent(name)}?download=1`;
    a.textContent = name;
    links.appendChild(a);
  }
  $("video-result").hidden = false;
}

// ---- history search and alerts -------------------------------------------------------------
function hitItem(text, meta, cropUrl, onClick) {
  const li = document.createElement("li");
  if (cropUrl) {
    const img = document.createElement("img");
    img.src = cropUrl; img.alt = text; img.loading = "lazy";
    li.appendChild(img);
  }
  const body = document.createElement("span");
  body.textContent = text;
  const small = document.createElement("span");
  small.className = "meta"; small.textContent = meta;
  body.appendChild(small);
  li.appendChild(body);
  li.addEventListener("click", onClick);
  return li;
}

function localTime(iso) { return new Date(iso).toLocaleString(); }

// A video job's track plays the job's video at that moment; a live one shows its stream.
function openHit(hit) {
  if (hit.job_id) {
    const player = $("video-player");
    player.src = `/api/videos/${encodeURIComponent(hit.job_id)}/input`;
    player.addEventListener("loadedmetadata", () => { player.currentTime = hit.video_time || 0; player.play().catch(() => {}); }, { once: true });
    $("video-result").hidden = false;
    player.scrollIntoView({ behavior: "smooth", block: "center" });
  } else if (hit.stream_id) {
    if (![...select.options].some((o) => o.value === hit.stream_id)) select.add(new Option(hit.stream_id, hit.stream_id));
    select.value = hit.stream_id;
    choose(hit.stream_id);
  }
}

$("search-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = $("search-q").value.trim();
  const status = $("search-status"), list = $("search-results");
  if (!q) return;
  status.textContent = "searching…"; status.className = "note";
  list.innerHTML = "";
  let body = {};
  try {
    const params = new URLSearchParams({ q, limit: "50" });
    for (const job of myJobs()) params.append("job", job);
    const res = await fetch(`/api/search?${params}`);
    body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
  } catch (err) {
    status.textContent = err.message; status.className = "error";
    return;
  }
  status.textContent = body.results.length ? `${body.results.length} found` : "nothing found";
  for (const hit of body.results) {
    const where = hit.job_id ? `video ${hit.job_id} at ${fmtTime(hit.video_time || 0)}` : hit.stream_id;
    list.appendChild(hitItem(hit.text, `${where} · ${localTime(hit.first_seen)}`, hit.crop_url, () => openHit(hit)));
  }
});

socket.on("alert", (a) => {
  const list = $("alerts");
  list.prepend(hitItem(a.text, `${a.rule} · ${a.stream_id} · ${localTime(a.time)}`, a.crop_url, () => openHit(a)));
  while (list.children.length > 50) list.lastChild.remove();
});
