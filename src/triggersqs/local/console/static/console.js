// The console page: polls the read API and the console's endpoints about once a second and
// draws what they answer. Polling, not server-sent events: EventSource cannot send the API key
// as an Authorization header, and each poll being a new request is what lets the page carry on
// after the tab sleeps or `dev` restarts. Every text from the server goes in as textContent.
"use strict";

(() => {
  // Newest first: the one place the listings' order is chosen (GET /records and /rejected,
  // order=desc).
  const ORDER = "desc";
  const PAGE_SIZE = 20;
  const TICK_MS = 1000;
  const HIDDEN_TICK_MS = 5000;
  const MAX_BACKOFF_MS = 5000;
  const REQUEST_TIMEOUT_MS = 5000;
  const KEY_STORAGE = "triggersqs.apiKey";

  const $ = (id) => document.getElementById(id);

  class HttpError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // ---- talking to the server ----------------------------------------------------------------

  async function api(path, options = {}) {
    const headers = new Headers(options.headers || {});
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) headers.set("Authorization", `Bearer ${key}`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(new URL(path, document.baseURI), {
        ...options, headers, cache: "no-store", signal: controller.signal,
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new HttpError(response.status, body.message || response.statusText);
      return body;
    } finally {
      clearTimeout(timer);
    }
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") search.set(name, value);
    }
    return search.toString();
  }

  // ---- drawing ------------------------------------------------------------------------------

  function text(id, value) {
    const node = $(id);
    const shown = value === null || value === undefined ? "–" : String(value);
    if (node.textContent !== shown) node.textContent = shown;
  }

  function timeCell(iso) {
    const cell = document.createElement("td");
    if (!iso) {
      cell.textContent = "–";
      return cell;
    }
    const time = document.createElement("time");
    time.dateTime = iso;
    time.textContent = iso.replace("T", " ").replace(/(\.\d{3})\d*/, "$1");
    cell.append(time);
    return cell;
  }

  function cell(value, className) {
    const node = document.createElement("td");
    node.textContent = value === null || value === undefined ? "–" : String(value);
    if (className) node.className = className;
    return node;
  }

  function idCell(id, label) {
    const node = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = id;
    button.setAttribute("aria-label", `${label} ${id}`);
    node.append(button);
    return node;
  }

  // Redraws a table only when its rows changed, keeping the focus on the row it was on.
  function drawRows(tableId, emptyId, items, makeRow) {
    const tbody = $(tableId).tBodies[0];
    const signature = JSON.stringify(items);
    if (tbody.dataset.signature === signature) return;
    const focused = tbody.contains(document.activeElement)
      ? document.activeElement.closest("tr")?.dataset.id : null;
    tbody.replaceChildren(...items.map((item) => {
      const row = makeRow(item);
      row.dataset.id = item.message_id;
      return row;
    }));
    tbody.dataset.signature = signature;
    $(emptyId).hidden = items.length > 0;
    if (focused) {
      const again = [...tbody.rows].find((row) => row.dataset.id === focused);
      again?.querySelector("button")?.focus();
    }
  }

  function recordRow(record) {
    const row = document.createElement("tr");
    row.append(cell(record.command), cell(record.client_id), idCell(record.message_id, "record"),
      timeCell(record.sent_at), timeCell(record.stored_at), cell(record.receive_count));
    return row;
  }

  function rejectionRow(rejection) {
    const row = document.createElement("tr");
    row.append(idCell(rejection.message_id, "rejected message"), cell(rejection.reason),
      timeCell(rejection.stored_at), cell(rejection.status));
    return row;
  }

  function deadLetterRow(message) {
    const row = document.createElement("tr");
    const sent = message.sent_at_ms === null ? null : new Date(message.sent_at_ms).toISOString();
    row.append(idCell(message.message_id, "dead letter"), cell(message.source),
      cell(message.receive_count), timeCell(sent), cell(message.body, "body"));
    return row;
  }

  // A panel whose data the server refuses (the store is down: 503) says so and the rest of the
  // page carries on; a missing key or a lost connection is the whole page's business.
  async function panel(name, work) {
    const error = $(`${name}-error`);
    try {
      await work();
      error.hidden = true;
    } catch (failure) {
      if (!(failure instanceof HttpError) || failure.status === 401) throw failure;
      text(`${name}-error`, failure.message);
      error.hidden = false;
    }
  }

  // ---- pages of records and rejections, by the API's cursors --------------------------------

  class Listing {
    constructor(name, path, key, draw) {
      this.name = name;
      this.path = path;
      this.key = key;
      this.draw = draw;
      this.filters = {};
      this.cursor = null; // null: the first page, which is the live one
      this.pageNumber = 1;
      this.next = null;
      this.stale = true;
      $(`${name}-next`).addEventListener("click", () => this.go(this.next, this.pageNumber + 1));
      $(`${name}-newest`).addEventListener("click", () => this.go(null, 1));
    }

    go(cursor, pageNumber) {
      this.cursor = cursor;
      this.pageNumber = pageNumber;
      this.stale = true;
      loop.now();
    }

    async refresh() {
      if (this.cursor !== null && !this.stale) return; // deeper pages stay as they were read
      const page = await api(`${this.path}?${query({
        limit: PAGE_SIZE, order: ORDER, cursor: this.cursor, ...this.filters,
      })}`);
      this.stale = false;
      this.next = page.next_cursor;
      this.draw(Object.values(page[this.key]));
      $(`${this.name}-next`).disabled = !this.next;
      $(`${this.name}-newest`).disabled = this.cursor === null;
      const pageText = $(`${this.name}-page`);
      if (pageText) {
        pageText.textContent = this.cursor === null
          ? "" : `page ${this.pageNumber} (not updated live; Newest goes back)`;
      }
    }
  }

  const records = new Listing("records", "records", "messages",
    (items) => drawRows("records", "records-empty", items, recordRow));
  const rejections = new Listing("rejected", "rejected", "rejected",
    (items) => drawRows("rejected", "rejected-empty", items, rejectionRow));

  // ---- the counts, the DLQ and its redrive ---------------------------------------------------

  const view = { startedAt: null, dlqDepth: null, dlqStale: true, redriving: false, deadLetters: [] };

  function drawState(state) {
    if (view.startedAt !== state.started_at) {
      if (view.startedAt !== null) {
        view.dlqStale = true;
        records.stale = rejections.stale = true;
      }
      view.startedAt = state.started_at;
      $("since").textContent = `${state.mode} started ${state.started_at.replace("T", " ")}`;
    }
    const queue = state.queue || {};
    const dlq = state.dlq || {};
    text("queue-name", queue.name || "");
    text("queue-visible", queue.visible);
    text("queue-in-flight", queue.in_flight);
    text("queue-delayed", queue.delayed);
    const depth = state.dlq ? dlq.visible + dlq.in_flight : null;
    text("dlq-depth", depth);
    text("dlq-name", dlq.name || "");
    const queueNote = state.queue_error
      || (state.queue ? "" : `\`${state.mode}\` watches no queue: \`triggersqs dev\` shows one.`);
    $("queue-note").hidden = !queueNote;
    text("queue-note", queueNote);
    $("dlq-note").hidden = Boolean(state.dlq);
    text("dlq-note", state.dlq ? "" : queueNote);

    const outcomes = state.outcomes || {};
    for (const outcome of ["stored", "duplicate", "rejected", "failed"]) {
      text(`outcome-${outcome}`, outcomes[outcome]);
    }
    text("outcome-rate", state.rate_per_second);
    const outcomesNote = state.outcomes ? ""
      : `\`${state.mode}\` processes no batches: its outcome counts would stay at zero.`;
    $("outcomes-note").hidden = !outcomesNote;
    text("outcomes-note", outcomesNote);

    if (depth !== view.dlqDepth) {
      view.dlqDepth = depth;
      view.dlqStale = true;
    }
    drawRedrive(state.redrive, Boolean(state.dlq), depth);
  }

  function drawRedrive(redrive, watching, depth) {
    const running = Boolean(redrive && redrive.running);
    if (view.redriving && !running) view.dlqStale = true; // it ended: list what is left
    view.redriving = running;
    $("redrive").disabled = !watching || running || !depth;
    $("dlq-refresh").disabled = !watching || running;
    const bar = $("redrive-progress");
    bar.hidden = !running;
    if (!redrive) return;
    if (redrive.to_move) {
      bar.max = redrive.to_move;
      bar.value = redrive.moved;
    } else {
      bar.removeAttribute("value"); // indeterminate
    }
    let status;
    if (running) {
      status = `Redriving: ${redrive.moved}${redrive.to_move ? ` of ${redrive.to_move}` : ""} moved`;
    } else if (redrive.error) {
      status = `Redrive stopped: ${redrive.error} (${redrive.moved} moved)`;
    } else {
      status = `Redrove ${redrive.moved} message${redrive.moved === 1 ? "" : "s"}`
        + ` (${redrive.method})`;
    }
    text("redrive-status", status);
  }

  async function refreshDeadLetters() {
    if (!view.dlqStale || view.redriving || view.dlqDepth === null) return;
    view.dlqStale = false;
    if (view.dlqDepth === 0) {
      view.deadLetters = [];
    } else {
      try {
        view.deadLetters = (await api("console/api/dlq")).messages;
      } catch (error) {
        if (error instanceof HttpError && error.status === 409) return; // a redrive began
        view.dlqStale = true;
        throw error;
      }
    }
    drawRows("dlq", "dlq-empty", view.deadLetters, deadLetterRow);
  }

  async function startRedrive() {
    $("redrive").disabled = true;
    text("redrive-status", "Starting the redrive…");
    try {
      const progress = await api("console/api/redrive", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
      });
      drawRedrive(progress, true, view.dlqDepth);
    } catch (error) {
      text("redrive-status", `Redrive refused: ${error.message}`);
    }
    loop.now();
  }

  // ---- a row's whole message -----------------------------------------------------------------

  async function showMessage(kind, id) {
    let item;
    try {
      if (kind === "dlq") {
        item = view.deadLetters.find((message) => message.message_id === id);
      } else {
        item = await api(`${kind}/${encodeURIComponent(id)}`);
      }
    } catch (error) {
      item = { message: error.message };
    }
    const { body, ...fields } = item || { message: "gone" };
    let shown = body ?? "";
    try {
      shown = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // not JSON: shown as it is
    }
    const titles = { records: "Record", rejected: "Rejected message", dlq: "Dead letter" };
    $("detail-heading").textContent = `${titles[kind]} ${id}`;
    $("detail-body").textContent = shown;
    $("detail-fields").textContent = JSON.stringify(fields, null, 2);
    const dialog = $("detail");
    if (!dialog.open) dialog.showModal();
  }

  for (const [tableId, kind] of [["records", "records"], ["rejected", "rejected"], ["dlq", "dlq"]]) {
    $(tableId).tBodies[0].addEventListener("click", (event) => {
      const row = event.target.closest("tr");
      if (row?.dataset.id) showMessage(kind, row.dataset.id);
    });
  }

  // ---- the API key ---------------------------------------------------------------------------

  function askForKey(message) {
    loop.pause();
    $("data").hidden = true;
    $("key-panel").hidden = false;
    text("key-error", message || "");
    setConnection("refused", "API key needed");
    $("api-key").focus();
  }

  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, $("api-key").value);
    $("api-key").value = "";
    $("key-panel").hidden = true;
    loop.resume();
  });

  // ---- filters -------------------------------------------------------------------------------

  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    records.filters = {
      client_id: $("filter-client").value.trim(), command: $("filter-command").value.trim(),
    };
    records.go(null, 1);
  });
  $("filters-clear").addEventListener("click", () => {
    $("filter-client").value = "";
    $("filter-command").value = "";
    records.filters = {};
    records.go(null, 1);
  });
  $("redrive").addEventListener("click", startRedrive);
  $("dlq-refresh").addEventListener("click", () => {
    view.dlqStale = true;
    loop.now();
  });

  // ---- the loop ------------------------------------------------------------------------------

  function setConnection(state, message) {
    const node = $("connection");
    node.dataset.state = state;
    if (node.textContent !== message) node.textContent = message;
  }

  async function tick() {
    const hello = await api("console/api/hello");
    if (hello.api_key && !sessionStorage.getItem(KEY_STORAGE)) {
      askForKey();
      return;
    }
    drawState(await api("console/api/state"));
    await Promise.all([
      panel("records", () => records.refresh()),
      panel("rejected", () => rejections.refresh()),
      panel("dlq", refreshDeadLetters),
    ]);
    $("data").hidden = false;
    setConnection("live", "Live");
  }

  const loop = {
    timer: null,
    paused: false,
    running: false,
    failures: 0,

    schedule(delay) {
      clearTimeout(this.timer);
      if (!this.paused) this.timer = setTimeout(() => this.run(), delay);
    },
    now() {
      if (!this.running) this.schedule(0);
    },
    pause() {
      this.paused = true;
      clearTimeout(this.timer);
    },
    resume() {
      this.paused = false;
      this.schedule(0);
    },
    async run() {
      this.running = true;
      try {
        await tick();
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        if (error instanceof HttpError && error.status === 401) {
          sessionStorage.removeItem(KEY_STORAGE);
          askForKey("That key was refused: try again.");
        } else if (error instanceof HttpError) {
          setConnection("refused", `The server refused: ${error.message}`);
        } else {
          setConnection("down", "Disconnected: retrying…");
        }
      } finally {
        this.running = false;
      }
      const pace = document.hidden ? HIDDEN_TICK_MS : TICK_MS;
      this.schedule(this.failures ? Math.min(pace * 2 ** (this.failures - 1), MAX_BACKOFF_MS) : pace);
    },
  };

  // A tab coming back from sleep (or from the background) looks again at once.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) loop.now();
  });
  window.addEventListener("online", () => loop.now());
  loop.now();
})();
