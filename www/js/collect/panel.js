// The "collect samples" panel: type a tag, hold the button to capture frames, review them,
// export a zip for `camtag train`.

import { t } from '../page/i18n.js';
import { SampleSet, cleanTag } from './samples.js';

const CAPTURE_EVERY_MS = 200;

export function setupCollect({ video, panel, tagInput, capture, exportButton, groups }) {
  const samples = new SampleSet();
  let timer = null;

  const canCapture = () => Boolean(video.srcObject) && !video.hidden && cleanTag(tagInput.value) !== '';
  const refresh = () => {
    capture.disabled = !canCapture();
    exportButton.disabled = samples.size === 0;
    render();
  };

  const grab = async () => {
    if (!canCapture()) return stop();
    await samples.capture(video, cleanTag(tagInput.value));
    refresh();
  };
  const start = (event) => {
    event.preventDefault();
    if (timer || !canCapture()) return;
    grab();
    timer = setInterval(grab, CAPTURE_EVERY_MS);
  };
  const stop = () => {
    clearInterval(timer);
    timer = null;
  };

  capture.addEventListener('pointerdown', start);
  for (const type of ['pointerup', 'pointerleave', 'pointercancel']) capture.addEventListener(type, stop);
  capture.addEventListener('keydown', (event) => {
    if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      grab(); // held keys repeat: one frame per repeat
    }
  });
  tagInput.addEventListener('input', refresh);
  exportButton.addEventListener('click', async () => {
    const blob = await samples.toZip();
    const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'camtag-samples.zip' });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });
  panel.addEventListener('toggle', refresh);

  function render() {
    groups.replaceChildren(...samples.byTag().map(([tag, items]) => {
      const group = document.createElement('section');
      group.className = 'sample-group';
      group.dataset.tag = tag;
      const title = Object.assign(document.createElement('h3'), { textContent: `${tag} · ${items.length}` });
      const strip = document.createElement('div');
      strip.className = 'thumbs';
      for (const s of items) {
        const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'thumb' });
        remove.setAttribute('aria-label', `${t('removeSample')} ${tag} #${s.id}`);
        remove.append(Object.assign(document.createElement('img'), { src: s.url, alt: '' }));
        remove.addEventListener('click', () => {
          samples.remove(s.id);
          refresh();
        });
        strip.append(remove);
      }
      group.append(title, strip);
      return group;
    }));
  }

  return { refresh, samples };
}
