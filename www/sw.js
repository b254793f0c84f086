// The service worker: after one visit, camtag loads and classifies with no network at all.
//
// build.sh writes precache.js (`self.CAMTAG_PRECACHE = {version, files}`): the page, its
// scripts and styles, the wasm package and the default model, with a version that changes
// whenever any of them does. A new version is cached whole before it replaces the old one, so
// the page never mixes scripts and wasm from two builds.

importScripts('./precache.js');

const { version, files } = self.CAMTAG_PRECACHE;
const CACHE = `camtag-${version}`;
const scope = new URL('./', self.location);
const precached = new Set(files.map((f) => new URL(f, scope).href));

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(files)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith('camtag-') && key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  url.search = ''; // ?backend=cpu is the same page
  if (!precached.has(url.href)) return; // not ours to answer: the network as usual
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    return (await cache.match(url.href)) ?? fetch(request);
  })());
});
