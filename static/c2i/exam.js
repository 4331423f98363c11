/* The knowledge test's page, enhanced: each click is saved at once through
   the API (fetch POST, CSRF token of the form), one request at a time per
   question, the latest state winning; a failed save (no network, a server
   error, 503 while the database is unreachable) is retried until it
   succeeds; the clock counts down from the time the server gave. Without
   this script the page still works: each question has its own form.

   The exam day (issue 13): every POLL_MS, and at once when the connection
   comes back, the page asks the sitting's status (which tells the server
   the page is there): paused after a lost connection (the answers wait for
   the invigilator's authorisation, then go on by themselves), the time left
   (time given back), the invigilator's notices, shown in a live region; the
   « J'ai besoin d'aide » form is sent with fetch. The waiting page of a room
   where the invigilator lets each candidate in enables its start button
   once they have. */
(function () {
  "use strict";
  var root = document.getElementById("c2i-exam");
  if (!root || !window.fetch) { return; }
  document.documentElement.classList.add("c2i-js");
  var msg = root.dataset;
  var answered = document.getElementById("c2i-answered");
  var over = false;
  var paused = msg.paused === "1";
  var POLL_MS = parseInt(msg.pollMs, 10) || 10000;  // C2I_EXAM_POLL_SECONDS

  function ticked(form) {
    var values = [];
    form.querySelectorAll("input[name=option]:checked").forEach(function (input) {
      values.push(parseInt(input.value, 10));
    });
    return values;
  }

  function setState(form, text) {
    form.querySelector(".c2i-state").textContent = text;
  }

  // A question is answered when at least one option is ticked: its bubble
  // changes shape, colour and icon, and says so in words to screen readers.
  function markAnswered(form, ticks) {
    var nav = document.getElementById("nav-" + form.dataset.position);
    var now = ticks.length > 0;
    if (!nav || nav.classList.contains("c2i-answered") === now) { return; }
    nav.classList.toggle("c2i-answered", now);
    var state = nav.querySelector(".c2i-bubble__state");
    if (state) { state.textContent = ", " + (now ? msg.msgAnswered : msg.msgUnanswered); }
    if (answered) { answered.textContent = String(parseInt(answered.textContent, 10) + (now ? 1 : -1)); }
  }

  function finish() {
    if (over) { return; }
    over = true;
    root.querySelectorAll("input[name=option]").forEach(function (input) { input.disabled = true; });
    window.setTimeout(function () { window.location.reload(); }, 1500);
  }

  function Saver(form) {
    this.form = form;
    this.seq = parseInt(form.dataset.seq || "0", 10) || 0;
    this.busy = false;
    this.dirty = false;
    this.failed = false;
    this.held = false;
    this.delay = 1000;
  }

  Saver.prototype.nextSeq = function () {
    this.seq = Math.max(Date.now(), this.seq + 1);
    return this.seq;
  };

  Saver.prototype.request = function () {
    if (this.busy) { this.dirty = true; return; }
    var self = this;
    this.busy = true;
    this.dirty = false;
    setState(this.form, msg.msgSaving);
    var ticks = ticked(this.form);
    var body = JSON.stringify({ ticked: ticks, seq: this.nextSeq() });
    fetch(this.form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": this.form.querySelector("input[name=csrfmiddlewaretoken]").value
      },
      body: body
    }).then(function (response) {
      if (response.status === 409) { setState(self.form, msg.msgOver); finish(); return null; }
      if (response.status === 423) {
        // paused: sent again once the invigilator lets the sitting resume
        self.held = true;
        setState(self.form, msg.msgPaused);
        setPaused(true);
        poll();
        return null;
      }
      if (!response.ok) {
        // 503 while the database is unreachable: the answer is sent again, not before Retry-After
        var error = new Error(String(response.status));
        error.retryAfter = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
        throw error;
      }
      return response.json();
    }).then(function (data) {
      self.busy = false;
      if (data === null) { return; }
      self.delay = 1000;
      self.failed = false;
      if (data.status === "stale") { self.seq = Math.max(self.seq, data.seq); self.request(); return; }
      markAnswered(self.form, ticks);
      setState(self.form, msg.msgSaved + " " + new Date().toLocaleTimeString());
      if (self.dirty) { self.request(); }
    }).catch(function (error) {
      self.busy = false;
      self.failed = true;
      setState(self.form, msg.msgRetry);
      self.delay = Math.min(self.delay * 2, 15000);
      var wait = Math.max(self.delay, Math.min((error && error.retryAfter) || 0, 60) * 1000);
      window.setTimeout(function () { self.request(); }, wait);
    });
  };

  var savers = [];
  root.querySelectorAll("form.c2i-answer").forEach(function (form) {
    var saver = new Saver(form);
    savers.push(saver);
    form.addEventListener("change", function () { if (!over && !paused) { saver.request(); } });
    form.addEventListener("submit", function (event) { event.preventDefault(); saver.request(); });
  });

  // « Hand in my test… » leads to the confirmation page, which counts the
  // unanswered questions the server has: the answers still on their way are
  // saved first.
  var finishLink = document.getElementById("c2i-finish-link");
  if (finishLink) {
    finishLink.addEventListener("click", function (event) {
      var pending = function () { return savers.some(function (s) { return s.busy || s.dirty || s.failed; }); };
      if (!pending()) { return; }
      event.preventDefault();
      var state = root.querySelector(".c2i-finish-state");
      if (state) { state.textContent = msg.msgWaiting; }
      var wait = function () {
        if (pending()) { window.setTimeout(wait, 200); return; }
        window.location.assign(finishLink.href);
      };
      wait();
    });
  }

  var timer = document.getElementById("c2i-timer");
  var end = 0;
  var bar = timer && timer.closest(".c2i-exam-bar");
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  // the clock as it stands; the seconds left
  function showTime() {
    var left = Math.max(0, Math.round((end - performance.now()) / 1000));
    timer.textContent = Math.floor(left / 3600) + ":" + pad(Math.floor(left / 60) % 60) + ":" + pad(left % 60);
    if (bar) { bar.classList.toggle("c2i-hurry", left <= 300); }
    return left;
  }
  if (timer) {
    end = performance.now() + parseInt(timer.dataset.secondsLeft, 10) * 1000;
    var tick = function () {
      if (over || showTime() <= 0) { timer.textContent = msg.msgOver; finish(); return; }
      window.setTimeout(tick, 500);
    };
    tick();
  }

  // --- the exam day: the sitting's status, the invigilator's notices --------

  var notices = document.getElementById("c2i-notices");
  var pauseRegion = document.getElementById("c2i-pause");
  var pauseTemplate = document.getElementById("c2i-paused-template");
  var endsAt = document.getElementById("c2i-ends-at");
  var after = parseInt(msg.noticeAfter || "0", 10) || 0;
  var polling = false;
  var NOTICE_LEVELS = { resumed: "success", ended: "error", help: "info", admitted: "info", time: "info" };

  function showNotice(text, level) {
    if (!notices) { return; }
    var alert = document.createElement("div");
    alert.className = "fr-alert fr-alert--sm fr-alert--" + (level || "info");
    var p = document.createElement("p");
    p.textContent = text;
    alert.appendChild(p);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "fr-btn--close fr-btn";
    close.title = msg.msgClose;
    close.textContent = msg.msgClose;
    close.addEventListener("click", function () { alert.remove(); });
    alert.appendChild(close);
    notices.appendChild(alert);
    while (notices.children.length > 3) { notices.removeChild(notices.firstElementChild); }
  }

  // Paused: the answers wait; running again: they are enabled, and those
  // refused meanwhile are sent again.
  function setPaused(now) {
    if (now === paused && (!now || (pauseRegion && pauseRegion.firstElementChild))) { return; }
    paused = now;
    root.querySelectorAll("input[name=option], button.c2i-save").forEach(function (input) {
      input.disabled = now || over;
    });
    if (!pauseRegion) { return; }
    if (now) {
      if (!pauseRegion.firstElementChild && pauseTemplate) {
        pauseRegion.appendChild(pauseTemplate.content.cloneNode(true));
      }
      return;
    }
    pauseRegion.textContent = "";
    savers.forEach(function (saver) {
      if (saver.held) { saver.held = false; saver.request(); }
    });
  }

  var help = document.getElementById("c2i-help");
  var helpForm = document.getElementById("c2i-help-form");
  function setHelp(asked) {
    if (!help) { return; }
    help.disabled = asked;
    help.textContent = asked ? msg.msgHelpSent : msg.msgHelp;
  }
  if (helpForm && help) {
    helpForm.addEventListener("submit", function (event) {
      event.preventDefault();
      help.disabled = true;
      fetch(helpForm.action, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Accept": "application/json",
          "X-CSRFToken": helpForm.querySelector("input[name=csrfmiddlewaretoken]").value
        }
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (answer) {
        if (answer.ok) { setHelp(true); showNotice(msg.msgHelpDone, "info"); return; }
        setHelp(false);
        showNotice(answer.data.detail || msg.msgHelpFailed, "error");
      }).catch(function () {
        setHelp(false);
        showNotice(msg.msgHelpFailed, "error");
      });
    });
  }

  function leave(delay) {
    if (over) { return; }
    over = true;
    root.querySelectorAll("input[name=option], button.c2i-save, #c2i-help").forEach(function (input) {
      input.disabled = true;
    });
    window.setTimeout(function () { window.location.assign(msg.examUrl); }, delay);
  }

  function apply(data) {
    var ended = false;
    (data.notices || []).forEach(function (notice) {
      after = Math.max(after, notice.id);
      showNotice(notice.message, NOTICE_LEVELS[notice.kind]);
      if (notice.kind === "ended") { ended = true; }
    });
    // over (handed in, ended by the invigilator): the notice is read, then the exam's page
    if (data.state === "over") { leave(ended ? 8000 : 1500); return; }
    if (typeof data.seconds_left === "number" && timer && !over) {
      end = performance.now() + data.seconds_left * 1000;  // time given back, or taken
      showTime();
    }
    if (endsAt && data.ends_at) { endsAt.textContent = data.ends_at; }
    setHelp(!!data.help);
    setPaused(data.state === "paused");
  }

  function poll() {
    if (polling || over || !msg.statusUrl) { return; }
    polling = true;
    fetch(msg.statusUrl + "?after=" + after, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      polling = false;
      apply(data);
    }).catch(function () {
      polling = false;  // asked again at the next beat, or when the connection comes back
    });
  }

  if (msg.statusUrl) {
    window.setInterval(poll, POLL_MS);
    window.addEventListener("online", poll);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { poll(); }
    });
  }
})();

/* « Remettre votre copie ? » (attempt_finish.html): the sitting's page is
   away, this one tells the server the candidate is still there (an
   invigilated sitting is not paused on coming back), and leaves for the
   exam's page once the sitting is over. */
(function () {
  "use strict";
  var box = document.getElementById("c2i-presence");
  if (!box || !window.fetch || document.getElementById("c2i-exam")) { return; }
  var ask = function () {
    fetch(box.dataset.statusUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && data.state === "over") { window.location.assign(box.dataset.examUrl); }
    }).catch(function () { return null; });
  };
  window.setInterval(ask, parseInt(box.dataset.pollMs, 10) || 10000);  // C2I_EXAM_POLL_SECONDS
  window.addEventListener("online", ask);
})();

/* The waiting page (my_exam.html): the start button works once the
   invigilator has let the candidate in; asked every WAIT_MS. */
(function () {
  "use strict";
  var box = document.getElementById("c2i-waiting");
  var start = document.getElementById("start");
  if (!box || !start || !window.fetch) { return; }
  var text = document.getElementById("c2i-waiting-text");
  var WAIT_MS = 5000;
  var asking = false;
  var done = false;
  var next = 0;

  function again() { asking = false; next = window.setTimeout(ask, WAIT_MS); }

  function ask() {
    if (asking || done) { return; }
    window.clearTimeout(next);
    asking = true;
    fetch(box.dataset.statusUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data && data.started) { done = true; window.location.reload(); return; }
      if (data && data.can_start) {
        done = true;
        start.disabled = false;
        box.classList.remove("fr-alert--info");
        box.classList.add("fr-alert--success");
        if (text) { text.textContent = box.dataset.msgAdmitted; }
        return;
      }
      again();
    }).catch(again);
  }
  window.addEventListener("online", ask);
  next = window.setTimeout(ask, WAIT_MS);
})();
