// The model picker: the bundles listed in models/index.json (written by build.sh).

/** Fetches models/index.json. Resolves to `{default, models: [{file, name, dtype, bytes}]}`. */
export async function fetchModelIndex() {
  const response = await fetch(new URL('../../models/index.json', import.meta.url));
  if (!response.ok) throw new Error(`models/index.json: HTTP ${response.status}`);
  return response.json();
}

/** URL of a bundle listed in the index. */
export function modelUrl(file) {
  return new URL(`../../models/${file}`, import.meta.url);
}

/** Fills a <select> with the index's models, the default selected. */
export function fillPicker(select, index) {
  const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  select.replaceChildren(...index.models.map((m) => new Option(`${m.name} · ${megabytes(m.bytes)}`, m.file, false, m.file === index.default)));
}
