// movierec app (nbs/09_app.ipynb): loaded by movierec.app.page_assets() into the Voila page.
// 1. Enter in the title box sends the box's text itself (through the hidden .mr-carrier text widget), so the kernel
//    recommends exactly what the box shows even when the last keystrokes' value updates are still queued.
// 2. Accessibility that ipywidgets cannot express: landmarks, a live region, aria-pressed on toggle buttons.
(function () {
  if (window.__movierecApp) return;
  window.__movierecApp = true;
  let n = 0;
  function onKey(e) {
    const box = e.target && e.target.closest ? e.target.closest('.mr-title') : null;
    if (!box || e.key !== 'Enter' || e.isComposing) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    if (e.type !== 'keydown') return;
    const app = box.closest('.mr-app') || document;
    const carrier = app.querySelector('.mr-carrier input');
    if (!carrier) return;
    n += 1;
    carrier.value = n + '\u0001' + e.target.value;
    carrier.dispatchEvent(new Event('input', { bubbles: true }));
  }
  document.addEventListener('keydown', onKey, true);
  document.addEventListener('keypress', onKey, true);

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
  new MutationObserver(later).observe(document.documentElement,
    { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
  later();
})();
