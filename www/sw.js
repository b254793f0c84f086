// The service worker: after one visit, camtag loads and classifies with no network at all.
//
// build.sh writes precache.js (`self.CAMTAG_PRECACHE = {version, files}`): the page, its
// scripts and styles, the wasm package and the default model, with a version that changes
// whenever any of them does. A new version is cached whole before it replaces the old one, so
// the page never mixes scripts and wasm from two builds.
//
// The other model bundles (the teacher's base networks, the models in the picker) are cached the
// first time the page fetches them, in a cache of the same version: a sample added or a head
// trained offline needs the base network it was once fetched online, and a model opened online
// opens offline (js/page/offline-models.js marks them in the picker, and its "remove offline
// copies" deletes this cache: all but the precached default).

importScripts('./precache.js');

const { version, files } = self.CAMTAG_PRECACHE;
const CACHE = `camtag-${version}`;
const MODELS = `${CACHE}-models`; // bundles cached as they are fetched
const scope = new URL('./', self.location);
const precached = new Set(files.map((f) => new URL(f, scope).href));

// Of the three wasm packages, only those this browser can run are cached at install: with wasm
// SIMD the WebGPU one and the CPU-only one (the backend picker switches between them offline too),
// without it the baseline; and of their wasm and the default model only the form the page fetches
// (gzipped where DecompressionStream exists). The same tests as js/shared/wasm-packages.js, which a classic
// worker script cannot import.
const SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];
const unusedPackage = WebAssembly.validate(new Uint8Array(SIMD_PROBE)) ? /^pkg-baseline\// : /^pkg(-cpu)?\//;
const unusedForm = typeof DecompressionStream === 'function' ? /\.(wasm|camtag)$/ : /\.gz$/;
const installed = files.filter((f) => !unusedPackage.test(f) && !unusedForm.test(f));

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(installed)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith('camtag-') && key !== CACHE && key !== MODELS) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  url.search = ''; // ?backend=cpu is the same page
  if (!precached.has(url.href)) {
    if (isBundle(url)) event.respondWith(cachedOnce(event, url.href));
    return; // otherwise not ours to answer: the network as usual
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    return (await cache.match(url.href)) ?? fetch(request);
  })());
});

/** A model bundle of this site (models/NAME.camtag, or its .gz). */
function isBundle(url) {
  return url.href.startsWith(new URL('models/', scope).href) && /\.camtag(\.gz)?$/.test(url.pathname);
}

/** The cached copy of a bundle, else the network's, kept for next time (a whole 200 only). */
async function cachedOnce(event, key) {
  const cache = await caches.open(MODELS);
  const hit = await cache.match(key);
  if (hit) return hit;
  const response = await fetch(event.request);
  if (response.status === 200) event.waitUntil(cache.put(key, response.clone()).catch(() => {}));
  return response;
}
