// The teacher's base network, kept for offline use: the service worker (www/sw.js) keeps every
// model bundle fetched through it, but the first visit's worker may have fetched the base before
// the service worker took the page over. Once it controls the page, the base chosen is fetched
// through it (only where its cache lacks it), so that samples can be added and heads trained
// after a reload with no network.

import { canInflate } from '../shared/wasm-packages.js';
import { BASES, isBase } from '../shared/teach-bases.js';

/** The bundle's address as the worker fetches it (gzipped where it can inflate). */
const urlOf = (base) => {
  const url = new URL(`../../models/${BASES[base].file}`, import.meta.url);
  return canInflate() ? `${url}.gz` : url.href;
};

const asked = new Set();

/**
 * Has the service worker keep `base`'s bundle, once a service worker controls the page (now or
 * when it takes over). Resolves to whether it is cached; never rejects.
 */
export async function keepBaseOffline(base) {
  if (!isBase(base) || !('serviceWorker' in navigator) || !('caches' in self)) return false;
  if (!navigator.serviceWorker.controller) {
    await new Promise((done) => navigator.serviceWorker.addEventListener('controllerchange', done, { once: true }));
  }
  const url = urlOf(base);
  try {
    if (await caches.match(url)) return true;
    if (asked.has(url)) return false;
    asked.add(url);
    const response = await fetch(url); // through the service worker, which keeps it
    await response.arrayBuffer();
    return response.ok;
  } catch {
    asked.delete(url);
    return false;
  }
}
