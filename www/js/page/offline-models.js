// Which built models work offline, and freeing their space. The service worker (www/sw.js) keeps
// the default model with the page and every other bundle the first time it is fetched through it;
// a model opened before it took the page over (the first visit) is fetched once more through it
// here, so that every model opened online is there for a reload with no network. The model
// picker marks those kept ("available offline"); "remove offline copies" (asked first) deletes
// the kept bundles but the default's, which comes with the page. The user's own models live in
// IndexedDB (teach/store.js), not here.

import { explain, t } from './i18n.js';
import { modelUrl } from './model-list.js';
import { canInflate } from '../shared/wasm-packages.js';

const USER = 'user:'; // teach/user-models.js's picker values
const isModelsCache = (key) => key.startsWith('camtag-') && key.endsWith('-models'); // sw.js's MODELS

/** Whether the bundle `file` (either form: plain or gzipped) is in this site's caches. */
async function isCached(file) {
  if (!('caches' in self)) return false;
  const url = modelUrl(file).href;
  return Boolean((await caches.match(url)) ?? (await caches.match(`${url}.gz`)));
}

const pause = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * `select`: the model picker; `button`: "remove offline copies"; `defaultFile()`: the bundle
 * that comes with the page (models/index.json's default); `say(text)`: tells the reader.
 */
export function createOfflineModels({ select, button, defaultFile, say }) {
  let kept = new Set(); // the built bundles cached, as of the last refresh

  /** Marks the picker's built models that are cached; shows the button when any but the default is. */
  async function refresh() {
    const built = [...select.options].filter((o) => !o.value.startsWith(USER));
    const cached = await Promise.all(built.map((o) => isCached(o.value)));
    kept = new Set(built.filter((_, i) => cached[i]).map((o) => o.value));
    for (const option of built) {
      option.dataset.label ??= option.text;
      const offline = kept.has(option.value);
      option.dataset.offline = String(offline);
      option.text = offline ? `${option.dataset.label} · ${t('offlineMark')}` : option.dataset.label;
    }
    button.hidden = ![...kept].some((file) => file !== defaultFile());
  }

  /**
   * Built model `file` was opened: once a service worker controls the page, makes sure it keeps
   * the bundle (fetched through it where its cache lacks it), then marks it. Never rejects.
   */
  async function keep(file) {
    if (!file || file.startsWith(USER) || !('serviceWorker' in navigator) || !('caches' in self)) return false;
    try {
      if (!navigator.serviceWorker.controller) {
        await new Promise((done) => navigator.serviceWorker.addEventListener('controllerchange', done, { once: true }));
      }
      // The worker's fetch went through the service worker, which stores it as it streams in.
      for (let i = 0; i < 4 && !(await isCached(file)); i++) await pause(250);
      if (!(await isCached(file))) {
        const url = modelUrl(file).href;
        const response = await fetch(canInflate() ? `${url}.gz` : url); // through the service worker, which keeps it
        await response.arrayBuffer();
        for (let i = 0; i < 20 && !(await isCached(file)); i++) await pause(250);
      }
    } catch {
      // no network: it stays unmarked, and can be opened again online
    }
    await refresh();
    return kept.has(file);
  }

  /** Deletes every kept bundle but the default's (asked first); resolves to whether it did. */
  async function free() {
    if (!window.confirm(t('freeOfflineConfirm'))) return false;
    for (const key of await caches.keys()) if (isModelsCache(key)) await caches.delete(key);
    await refresh();
    say(t('offlineFreed'));
    return true;
  }

  button.addEventListener('click', () => free());
  navigator.serviceWorker?.addEventListener('controllerchange', () => refresh());

  return {
    refresh,
    keep,
    free,
    /**
     * Why built model `file` did not load, where the reason is that the device is offline and
     * the model not kept (then the error's own explanation follows); null otherwise.
     */
    notKept(file, error) {
      const network = error?.key === 'downloadFailed' || (error?.key === 'loadFailed' && /fetch|network/i.test(error.detail ?? ''));
      if (navigator.onLine || !file || file.startsWith(USER) || kept.has(file) || !network) return null;
      const option = [...select.options].find((o) => o.value === file);
      return `${t('notKeptOffline', { name: option?.dataset.label?.split(' · ')[0] ?? file })} ${explain(error)}`;
    },
  };
}
