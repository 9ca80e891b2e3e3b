"use strict";
// Vidiff Studio's page: the form posts a job, an EventSource follows it, finished jobs play input and output in sync.
const $ = id => document.getElementById(id);
const knobs = ["prompt", "negative", "ts", "guidance", "temporal_guidance", "steps", "seed", "sampler", "size", "start", "duration", "model"];
let current = null, events = null, fromJob = null, info = null;

async function api(path, options) {
  const response = await fetch(path, options);
  const body = response.status === 204 || response.status === 202 ? null : await response.json();
  if (!response.ok) throw new Error(body && body.error ? body.error : `${response.status} ${response.statusText}`);
  return body;
}

async function loadInfo() {
  info = await api("/api/models");
  $("model").replaceChildren(...info.models.map(m => new Option(`${m.name} — ${m.title} (${m.width}×${m.height})`, m.name)));
  $("sample-choice").hidden = !info.sample;
  $("limits").textContent = `Up to ${info.limits.max_upload_mb} MB, ${info.limits.max_seconds} s, ${info.limits.max_side} pixels a side.`;
  showDefaults();
}

function showDefaults() {
  const m = info.models.find(m => m.name === $("model").value);
  if (!m) return;
  $("ts").placeholder = m.defaults.structure_level; $("ts").max = m.structure_levels;
  $("guidance").placeholder = m.defaults.guidance;
  $("temporal_guidance").placeholder = m.defaults.temporal_guidance;
  $("steps").placeholder = m.defaults.steps;
  $("size").placeholder = `${m.width}x${m.height}`;
  // A text-state model (an imported Stable Diffusion pipeline) reads prompts only.
  for (const id of ["image", "negative_image"]) $(id).disabled = m.content === "text_states";
}

async function loadJobs() {
  const jobs = await api("/api/jobs");
  $("jobs").replaceChildren(...jobs.map(job => {
    const li = document.createElement("li");
    li.dataset.id = job.id;
    const img = document.createElement("img");
    if (job.files.picture) img.src = job.files.picture;
    img.alt = "";
    const text = document.createElement("div");
    text.textContent = `${job.prompt ? `"${job.prompt}"` : `image ${job.image}`} · ${job.input} · ${job.status.state}`;
    li.append(img, text);
    li.onclick = () => follow(job.id);
    return li;
  }));
}

function describe(status) {
  if (status.state === "queued") return "waiting for a worker";
  if (status.state === "failed") return status.error || "failed";
  if (status.state === "done") return `done in ${status.seconds} s`;
  let text = status.phase || "";
  if (status.phase === "denoise") text += ` step ${status.step}/${status.steps}` + (status.windows > 1 ? `, window ${status.window}/${status.windows}` : "");
  else if (status.total_frames) text += ` ${status.frames}/${status.total_frames} frames`;
  if (status.eta_seconds != null) text += ` · about ${Math.ceil(status.eta_seconds)} s left`;
  return text;
}

function fraction(status) {
  if (status.state === "done") return 1;
  switch (status.phase) {
    case "structure": return 0.1 * status.frames / Math.max(1, status.total_frames);
    case "content": return 0.1;
    case "denoise": return 0.1 + 0.8 * (status.step - 1 + status.window / Math.max(1, status.windows)) / Math.max(1, status.steps);
    case "decode": return 0.9 + 0.1 * status.frames / Math.max(1, status.total_frames);
    default: return 0;
  }
}

function show(job) {
  current = job;
  $("job").hidden = false;
  $("job-id").textContent = job.id;
  $("job-state").textContent = job.status.state;
  $("job-state").className = `state ${job.status.state}`;
  $("progress-bar").value = fraction(job.status);
  $("progress-text").textContent = describe(job.status);
  $("cancel").hidden = job.status.state === "done" || job.status.state === "failed";
  $("job-error").textContent = job.status.state === "failed" ? job.status.error : "";
  const done = job.status.state === "done";
  $("job-result").hidden = !done;
  if (done && $("output-video").dataset.job !== job.id) {
    $("output-video").dataset.job = job.id;
    $("input-video").src = job.files.input;
    $("output-video").src = job.files.output;
    $("picture").src = job.files.picture;
    $("download").href = job.files.output;
    $("download-settings").href = job.files.settings;
    fetch(job.files.settings).then(r => r.text()).then(t => $("settings").textContent = t);
  }
}

function follow(id) {
  if (events) events.close();
  $("output-video").dataset.job = "";
  api(`/api/jobs/${id}`).then(show).catch(e => $("job-error").textContent = e.message);
  events = new EventSource(`/api/jobs/${id}/events`);
  events.addEventListener("job", e => {
    const job = JSON.parse(e.data);
    show(job);
    if (job.status.state === "done" || job.status.state === "failed") { events.close(); loadJobs(); }
  });
  events.addEventListener("gone", () => { events.close(); $("job").hidden = true; loadJobs(); });
}

$("form").addEventListener("submit", async e => {
  e.preventDefault();
  $("form-error").textContent = "";
  const data = new FormData($("form"));
  // Empty file inputs and fields are not sent: the server takes the model's defaults for what is missing.
  for (const [key, value] of [...data.entries()])
    if ((value instanceof File && value.size === 0 && !value.name) || value === "") data.delete(key);
  const source = data.get("source");
  data.delete("source");
  if (source === "sample") { data.delete("video"); data.set("sample", info.sample); }
  else if (!data.has("video") && fromJob) data.set("from_job", fromJob);
  if (!$("bf16").checked) data.set("bf16", "false");
  $("start-button").disabled = true;
  try {
    const job = await api("/api/jobs", { method: "POST", body: data });
    fromJob = null;
    follow(job.id);
    loadJobs();
  } catch (error) {
    $("form-error").textContent = error.message;
  } finally {
    $("start-button").disabled = false;
  }
});

$("cancel").onclick = async () => {
  try { await api(`/api/jobs/${current.id}/cancel`, { method: "POST" }); } catch (e) { $("job-error").textContent = e.message; }
};

// Input and output play as one: the output leads, the input follows it.
$("play").onclick = () => {
  const [input, output] = [$("input-video"), $("output-video")];
  input.currentTime = output.currentTime = 0;
  input.play(); output.play();
};
$("output-video").addEventListener("timeupdate", () => {
  const [input, output] = [$("input-video"), $("output-video")];
  if (Math.abs(input.currentTime - output.currentTime) > 0.08) input.currentTime = output.currentTime;
});
$("output-video").addEventListener("pause", () => $("input-video").pause());

// Edit again: the form takes this job's settings, and its input unless another video is chosen.
$("again").onclick = () => {
  for (const key of knobs) if ($(key)) $(key).value = current[key] ?? "";
  $("bf16").checked = current.bf16;
  if (current.input === `${info.sample}.mp4`) document.querySelector("input[value=sample]").checked = true;
  else { document.querySelector("input[value=upload]").checked = true; fromJob = current.id; $("limits").textContent = `Input: ${current.input} (from job ${current.id}) unless you choose another video.`; }
  showDefaults();
  $("prompt").focus();
};
$("model").onchange = showDefaults;

loadInfo().then(loadJobs).catch(e => $("form-error").textContent = e.message);
