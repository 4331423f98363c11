/* The knowledge test's page, enhanced: each click is saved at once through
   the API (fetch POST, CSRF token of the form), one request at a time per
   question, the latest state winning; a failed save (no network, a server
   error, 503 while the database is unreachable) is retried until it
   succeeds; the clock counts down from the time the server gave. Without
   this script the page still works: each question has its own form. */
(function () {
  "use strict";
  var root = document.getElementById("c2i-exam");
  if (!root || !window.fetch) { return; }
  document.documentElement.classList.add("c2i-js");
  var msg = root.dataset;
  var answered = document.getElementById("c2i-answered");
  var over = false;

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

  function markAnswered(form) {
    var nav = document.getElementById("nav-" + form.dataset.position);
    if (nav && !nav.classList.contains("c2i-answered")) {
      nav.classList.add("c2i-answered");
      if (answered) { answered.textContent = String(parseInt(answered.textContent, 10) + 1); }
    }
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
    var body = JSON.stringify({ ticked: ticked(this.form), seq: this.nextSeq() });
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
      if (data.status === "stale") { self.seq = Math.max(self.seq, data.seq); self.request(); return; }
      markAnswered(self.form);
      setState(self.form, msg.msgSaved + " " + new Date().toLocaleTimeString());
      if (self.dirty) { self.request(); }
    }).catch(function (error) {
      self.busy = false;
      setState(self.form, msg.msgRetry);
      self.delay = Math.min(self.delay * 2, 15000);
      var wait = Math.max(self.delay, Math.min((error && error.retryAfter) || 0, 60) * 1000);
      window.setTimeout(function () { self.request(); }, wait);
    });
  };

  root.querySelectorAll("form.c2i-answer").forEach(function (form) {
    var saver = new Saver(form);
    form.addEventListener("change", function () { if (!over) { saver.request(); } });
    form.addEventListener("submit", function (event) { event.preventDefault(); saver.request(); });
  });

  var finishForm = document.getElementById("c2i-finish");
  if (finishForm) {
    finishForm.addEventListener("submit", function (event) {
      if (!window.confirm(msg.msgConfirm)) { event.preventDefault(); }
    });
  }

  var timer = document.getElementById("c2i-timer");
  if (timer) {
    var end = performance.now() + parseInt(timer.dataset.secondsLeft, 10) * 1000;
    var bar = timer.closest(".c2i-exam-bar");
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var tick = function () {
      var left = Math.max(0, Math.round((end - performance.now()) / 1000));
      timer.textContent = Math.floor(left / 3600) + ":" + pad(Math.floor(left / 60) % 60) + ":" + pad(left % 60);
      if (left <= 300 && bar) { bar.classList.add("c2i-hurry"); }
      if (left <= 0) { timer.textContent = msg.msgOver; finish(); return; }
      window.setTimeout(tick, 500);
    };
    tick();
  }
})();
