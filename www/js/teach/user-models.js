// The user's own models: those trained in the page and the .camtag files dropped on it, kept in
// the store (teach/store.js) and listed in the model picker under "your models" (name, date,
// tags), so they come back after a reload or offline; the last one chosen is the one the page
// starts with. A dropped bundle named like a saved one is kept beside it as "… (2)". The page's
// own models (models/index.json), dropped again, are not saved twice: the picker has them.

import { t } from '../page/i18n.js';
import { modelUrl } from '../page/model-list.js';

const PREFIX = 'user:';
const ACTIVE = 'activeModel'; // the setting: the picker value of the user's model last chosen

/** The picker value of user model `id`, and back (null for a built model's value). */
export const valueOf = (id) => `${PREFIX}${id}`;
const idOf = (value) => (String(value).startsWith(PREFIX) ? Number(String(value).slice(PREFIX.length)) : null);

/** A file name for a model's name: what a file system takes. */
const fileName = (name) => `${name.replace(/[\\/:*?"<>|\s]+/g, '_') || 'camtag'}.camtag`;

/**
 * `store`: the TeachStore; `models`: page/model-loading.js's handle (set later, it needs this
 * module's `sourceOf`); `ui.modelSelect`: the picker; `say(text)`: tells the reader.
 */
export function createUserModels({ store, ui, say }) {
  let models = null;
  let builtNames = new Set();
  let builtDefault = null; // models/index.json's default

  /** Lists the user's models in the picker, after the built ones. */
  function fill() {
    const chosen = ui.modelSelect.value;
    ui.modelSelect.querySelector('optgroup.user-models')?.remove();
    if (!store.models.length) return;
    const group = Object.assign(document.createElement('optgroup'), { className: 'user-models', label: t('yourModels') });
    group.dataset.i18nLabel = 'yourModels';
    for (const m of store.models) {
      const date = new Date(m.created).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
      const tags = m.tags.slice(0, 4).map((tag) => tag.zh).join(' / ') + (m.tags.length > 4 ? ' …' : '');
      const option = new Option(`${m.name} · ${date}${tags ? ` · ${tags}` : ''}`, valueOf(m.id));
      group.append(option);
    }
    ui.modelSelect.append(group);
    if (chosen) ui.modelSelect.value = chosen;
  }

  /** A name no saved model has: `name`, else `name (2)`, `name (3)`… */
  function unique(name) {
    const taken = new Set(store.models.map((m) => m.name));
    if (!taken.has(name)) return name;
    let n = 2;
    while (taken.has(`${name} (${n})`)) n += 1;
    return `${name} (${n})`;
  }

  /** What to load for picker value `value`: a user model's bytes as a File, or a built model's URL. */
  async function sourceOf(value) {
    const builtUrl = modelUrl;
    const id = idOf(value);
    const model = store.models.find((m) => m.id === id);
    if (id === null || !model) {
      await store.setSetting(ACTIVE, null);
      return { url: builtUrl(value) };
    }
    await store.setSetting(ACTIVE, value);
    const bytes = await store.bundle(id);
    if (!bytes) return { url: builtUrl(value) }; // its bytes are gone (storage cleared): fails, says so
    return { file: new File([bytes], fileName(model.name)), name: model.name };
  }

  /** Keeps a bundle (`bytes`) as a user model named (uniquely) `name`; resolves to its metadata. */
  async function save(bytes, { name, tags, top1, base }) {
    const kept = unique(name);
    const model = await store.addModel({ name: kept, tags, top1, base }, bytes);
    fill();
    return { model, renamed: kept !== name };
  }

  /** Makes user model `model` the running one (the picker shows it), remembered for next time. */
  async function use(model) {
    ui.modelSelect.value = valueOf(model.id);
    await store.setSetting(ACTIVE, valueOf(model.id));
    const bytes = await store.bundle(model.id);
    await models.reload({ file: new File([bytes], fileName(model.name)), name: model.name });
  }

  return {
    fill,
    sourceOf,
    save,
    use,
    /** page/model-loading.js's handle, once made. */
    attach: (handle) => { models = handle; },
    /** models/index.json was read: the built models' names. */
    onIndex: (index) => {
      builtNames = new Set(index.models.map((m) => m.name));
      builtDefault = index.default;
    },
    /** Forgets user model `model` (asked first); where it was running, the default model runs instead. */
    async remove(model) {
      if (!window.confirm(t('removeModelConfirm', { name: model.name }))) return false;
      const running = ui.modelSelect.value === valueOf(model.id);
      await store.removeModel(model.id);
      if (running) ui.modelSelect.value = builtDefault ?? ui.modelSelect.options[0]?.value;
      fill();
      if (running) await models.reload(await sourceOf(ui.modelSelect.value));
      return true;
    },
    /** The user's model to start with (the last chosen), as start-up wants it, or null. */
    async first() {
      const value = store.setting(ACTIVE);
      const model = store.models.find((m) => valueOf(m.id) === value);
      if (!model) return null;
      const bytes = await store.bundle(model.id);
      return bytes ? { value, source: { file: new File([bytes], fileName(model.name)), name: model.name } } : null;
    },
    /** The user's model the picker shows, or null. */
    selected: () => store.models.find((m) => valueOf(m.id) === ui.modelSelect.value) ?? null,
    /**
     * A .camtag dropped or chosen: loaded as the running model and, where it loads and is not one
     * of the page's own, kept as a user model (renamed where its name is taken, and said so).
     */
    async openFile(file) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const loaded = await models.load({ file }, ui.backendSelect.value);
      if (loaded !== true) return loaded;
      const { manifest } = models.current();
      if (builtNames.has(manifest.name)) return loaded;
      const tags = (manifest.labels?.zh ?? []).slice(0, 50).map((zh, i) => ({ zh, en: manifest.labels?.en?.[i] ?? zh }));
      const { model, renamed } = await save(bytes, { name: manifest.name, tags, top1: manifest.accuracy?.top1 ?? null, base: manifest.training?.recipe ?? null });
      ui.modelSelect.value = valueOf(model.id);
      models.pickedNow();
      await store.setSetting(ACTIVE, valueOf(model.id));
      if (renamed) {
        ui.model.textContent = ui.model.textContent.replace(manifest.name, model.name);
        say(t('modelRenamed', { name: manifest.name, renamed: model.name }));
      }
      return loaded;
    },
    /** Downloads user model `model` as NAME.camtag. */
    async download(model) {
      const bytes = await store.bundle(model.id);
      if (!bytes) return;
      const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(new Blob([bytes])), download: fileName(model.name) });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    },
  };
}
