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
    form.addEventListener("change", function () { if (!over) { saver.request(); } });
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
