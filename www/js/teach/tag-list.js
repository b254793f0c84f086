// The Teach panel's list of tags: each with its name (Chinese welcome) and optional English
// name, editable; "capture here", "add pictures" (files, or a whole folder), pictures dropped on
// it, its count and thumbnails (click one to remove it), and "remove tag". With no tags yet it
// offers a few to start from. Thumbnails are capped per tag, so 2,000 samples draw at once.

import { setLabel, t } from '../page/i18n.js';

const SHOWN_PER_TAG = 48;
/** The tags offered while there are none, to start from. */
export const SUGGESTIONS = [{ zh: '多云', en: 'cloudy' }, { zh: '晴天', en: 'sunny' }, { zh: '夜景', en: 'night' }];

const make = (name, props = {}) => Object.assign(document.createElement(name), props);
const button = (key, className) => {
  const b = make('button', { type: 'button', className });
  setLabel(b, key);
  return b;
};

/**
 * Draws the store's tags into `groups` and the suggestions into `suggestions`. `on` is what the
 * reader's actions call: `use(tag)`, `rename(tag, fields)`, `remove(tag)`, `removeSample(sample)`,
 * `addFiles(tag, files)`, `suggest(suggestion)`. Returns `render()`.
 */
export function createTagList({ store, groups, suggestions, on }) {
  const urls = new Map(); // sample id -> object URL of its thumbnail

  const urlOf = (sample) => {
    if (!urls.has(sample.id)) urls.set(sample.id, URL.createObjectURL(sample.thumb));
    return urls.get(sample.id);
  };

  function group(tag) {
    const samples = store.samplesOf(tag.id);
    const section = make('section', { className: 'sample-group' });
    section.dataset.tag = tag.zh;
    section.dataset.tagId = String(tag.id);
    section.dataset.count = String(samples.length);
    const title = make('h3', { textContent: `${tag.zh} · ${samples.length}` });

    const names = make('div', { className: 'controls tag-names' });
    const zh = make('input', { type: 'text', className: 'tag-name', value: tag.zh, maxLength: 64, autocomplete: 'off' });
    zh.setAttribute('aria-label', t('tag'));
    const en = make('input', { type: 'text', className: 'tag-en', value: tag.en ?? '', maxLength: 64, autocomplete: 'off', placeholder: 'English' });
    en.setAttribute('aria-label', t('tagEnglish'));
    zh.addEventListener('input', () => on.rename(tag, { zh: zh.value }));
    en.addEventListener('input', () => on.rename(tag, { en: en.value }));

    const use = button('captureHere', 'tag-use');
    use.addEventListener('click', () => on.use(tag));
    const files = make('label', { className: 'button' });
    const filesText = make('span');
    setLabel(filesText, 'addPictures');
    const fileInput = make('input', { type: 'file', multiple: true, accept: 'image/*', className: 'visually-hidden tag-files' });
    files.append(filesText, fileInput);
    const folder = make('label', { className: 'button' });
    const folderText = make('span');
    setLabel(folderText, 'addFolder');
    const folderInput = make('input', { type: 'file', multiple: true, className: 'visually-hidden tag-folder' });
    folderInput.webkitdirectory = true;
    folder.append(folderText, folderInput);
    for (const input of [fileInput, folderInput]) {
      input.addEventListener('change', () => {
        const chosen = [...input.files];
        input.value = '';
        if (chosen.length) on.addFiles(tag, chosen);
      });
    }
    const remove = button('removeTag', 'tag-remove');
    remove.addEventListener('click', () => on.remove(tag));
    names.append(zh, en, use, files, folder, remove);

    const strip = make('div', { className: 'thumbs' });
    for (const sample of samples.slice(-SHOWN_PER_TAG)) {
      const thumb = make('button', { type: 'button', className: 'thumb' });
      thumb.dataset.sample = String(sample.id);
      thumb.setAttribute('aria-label', `${t('removeSample')} ${tag.zh} #${sample.id}`);
      thumb.append(make('img', { src: urlOf(sample), alt: '', loading: 'lazy' }));
      thumb.addEventListener('click', () => on.removeSample(sample));
      strip.append(thumb);
    }
    if (samples.length > SHOWN_PER_TAG) strip.append(make('span', { className: 'more', textContent: t('moreSamples', { n: samples.length - SHOWN_PER_TAG }) }));

    // Pictures dropped on a tag are its samples (not a picture for the stage, page/picture.js).
    const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
    section.addEventListener('dragover', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.stopPropagation();
      section.classList.add('dragging');
    });
    section.addEventListener('dragleave', () => section.classList.remove('dragging'));
    section.addEventListener('drop', (event) => {
      section.classList.remove('dragging');
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.stopPropagation();
      on.addFiles(tag, [...event.dataTransfer.files]);
    });

    section.append(title, names, strip);
    return section;
  }

  function render() {
    const live = new Set(store.samples.map((s) => s.id));
    for (const [id, url] of urls) {
      if (!live.has(id)) {
        URL.revokeObjectURL(url);
        urls.delete(id);
      }
    }
    // A name being typed survives the redraw (a capture redraws every 200 ms).
    const typing = groups.contains(document.activeElement) && document.activeElement.matches('input[type="text"]') ? document.activeElement : null;
    const where = typing && { tagId: typing.closest('.sample-group').dataset.tagId, className: typing.className, value: typing.value, start: typing.selectionStart, end: typing.selectionEnd };
    groups.replaceChildren(...store.tags.map(group));
    if (where) {
      const again = groups.querySelector(`.sample-group[data-tag-id="${where.tagId}"] input.${where.className}`);
      if (again) {
        again.value = where.value;
        again.focus();
        again.setSelectionRange(where.start, where.end);
      }
    }
    suggestions.replaceChildren();
    if (store.tags.length) return;
    const hint = make('span', { className: 'muted' });
    setLabel(hint, 'suggestTags');
    suggestions.append(hint, ...SUGGESTIONS.map((s) => {
      const b = make('button', { type: 'button', className: 'suggestion', textContent: `${s.zh} ${s.en}` });
      b.dataset.suggestion = s.zh;
      b.addEventListener('click', () => on.suggest(s));
      return b;
    }));
  }

  return { render };
}
