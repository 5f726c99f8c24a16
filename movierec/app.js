// movierec app (nbs/09_app.ipynb): loaded by movierec.app.page_assets() into the Voila page.
// 1. The title box belongs to the page. Enter in it (or the Recommend button) sends the box's text itself with the
//    page's request number n, as 'n\x01text' through the hidden .mr-carrier text widget, so the kernel recommends
//    exactly what the box shows even when the last keystrokes' value updates are still queued. The kernel never
//    writes the box: it says what the box should show in the hidden .mr-answer widget (data-seq, data-text), and
//    that is put in the box only if it answers the newest request and nothing was typed in the box since.
//    A click on a suggestion is a request too, 'n\x02label', naming the movie the button showed when clicked.
// 2. Accessibility that ipywidgets cannot express: landmarks, a live region, aria-pressed on toggle buttons.
(function () {
  if (window.__movierecApp) return;
  window.__movierecApp = true;
  const states = new WeakMap();
  function state(app) {
    if (!states.has(app)) states.set(app, { sent: 0, edits: 0, since: 0, applied: '' });
    return states.get(app);
  }
  // kind '\u0001': the box's text (Enter, Recommend); '\u0002': the label of the suggestion clicked
  function send(app, kind, label) {
    const box = app.querySelector('.mr-title input');
    const carrier = app.querySelector('.mr-carrier input');
    if (!box || !carrier) return;
    const s = state(app);
    s.sent += 1;
    s.since = s.edits;
    app.dataset.sent = String(s.sent);
    carrier.value = s.sent + kind + (kind === '\u0002' ? label : box.value);
    carrier.dispatchEvent(new Event('input', { bubbles: true }));
  }
  function onKey(e) {
    const box = e.target && e.target.closest ? e.target.closest('.mr-title') : null;
    if (!box || e.key !== 'Enter' || e.isComposing) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    const app = box.closest('.mr-app');
    if (app && e.type === 'keydown') send(app, '\u0001');
  }
  document.addEventListener('keydown', onKey, true);
  document.addEventListener('keypress', onKey, true);
  // what the person typed (trusted events only: the script's own updates of the box do not count)
  document.addEventListener('input', function (e) {
    const app = e.isTrusted && e.target.closest && e.target.closest('.mr-title') ? e.target.closest('.mr-app') : null;
    if (app) state(app).edits += 1;
  }, true);
  // Recommend sends the box's text like Enter, a suggestion sends its label, and any other click or choice is a
  // request whose answer may fill the box
  function onAct(e) {
    const app = e.isTrusted && e.target.closest ? e.target.closest('.mr-app') : null;
    if (!app || e.target.closest('.mr-title')) return;
    const go = e.type === 'click' ? e.target.closest('.mr-go') : null;
    const pick = e.type === 'click' ? e.target.closest('.mr-suggestion') : null;
    if (go || pick) {
      e.preventDefault();
      e.stopImmediatePropagation();
      return go ? send(app, '\u0001') : send(app, '\u0002', pick.textContent.trim());
    }
    state(app).since = state(app).edits;
  }
  document.addEventListener('click', onAct, true);
  document.addEventListener('change', onAct, true);
  function answer(app) {
    const a = app.querySelector('.mr-answer [data-n]');
    const box = app.querySelector('.mr-title input');
    const s = state(app);
    if (!a || !box || a.dataset.n === s.applied) return;
    s.applied = a.dataset.n;
    if (Number(a.dataset.seq) < s.sent || s.edits !== s.since || box.value === a.dataset.text) return;
    box.value = a.dataset.text;
    box.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function text(app, key) {
    const el = app.querySelector('.mr-aria [data-' + key + ']');
    return el ? el.getAttribute('data-' + key) : key;
  }
  function set(el, name, value) { if (el && el.getAttribute(name) !== value) el.setAttribute(name, value); }
  function apply() {
    document.querySelectorAll('.mr-app').forEach(function (app) {
      set(app, 'role', 'main');
      const landmarks = [['.mr-search', 'search', 'search'], ['.mr-filters', 'region', 'filters'],
                         ['.mr-results-box', 'region', 'results']];
      landmarks.forEach(function (l) {
        const el = app.querySelector(l[0]);
        set(el, 'role', l[1]);
        set(el, 'aria-label', text(app, l[2]));
      });
      const live = app.querySelector('.mr-live');
      set(live, 'role', 'status');
      set(live, 'aria-live', 'polite');
      const notice = app.querySelector('.mr-notice');
      set(notice, 'aria-live', 'polite');
      [['.mr-lang-switch', 'lang'], ['.mr-mode-switch', 'mode'], ['.mr-source-switch', 'source'],
       ['.mr-genres', 'genres']].forEach(function (g) {
        const el = app.querySelector(g[0]);
        set(el, 'role', 'group');
        set(el, 'aria-label', text(app, g[1]));
      });
      app.querySelectorAll('.mr-switch button, .mr-genre').forEach(function (b) {
        set(b, 'aria-pressed', b.classList.contains('mod-active') ? 'true' : 'false');
      });
      app.querySelectorAll('.mr-filters-toggle').forEach(function (b) {
        set(b, 'aria-expanded', b.classList.contains('mod-active') ? 'true' : 'false');
      });
      const said = app.querySelector('.mr-browser-lang input');
      if (said && !said.dataset.sent) {
        said.dataset.sent = '1';
        const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
        said.value = langs.join(',');
        said.dispatchEvent(new Event('input', { bubbles: true }));
      }
      app.querySelectorAll('.mr-carrier input, .mr-browser-lang input').forEach(function (i) {
        set(i, 'aria-hidden', 'true');
        set(i, 'tabindex', '-1');
      });
    });
  }
  let queued = false;
  function later() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; apply(); });
  }
  new MutationObserver(function () {
    document.querySelectorAll('.mr-app').forEach(answer);
    later();
  }).observe(document.documentElement,
    { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
  later();
})();
