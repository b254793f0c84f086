// The install icons (www/icons/*.png) drawn from www/icon.svg, so that they can be made again
// whenever the SVG changes: a PNG at 192 and 512 px (the icon as it is, transparent corners),
// and a maskable 512 px one (full-bleed blue, the camera inside the central 80 % circle that
// every launcher's mask keeps). The web app manifest (www/manifest.webmanifest) lists them.
//
//   node docs/icons.mjs     (after `npm ci` in tests/, whose harness launches Chromium)

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { WWW, launch } from '../tests/browser/harness.mjs';

const OUT = join(WWW, 'icons');
const BLUE = '#1f6feb'; // icon.svg's background
await mkdir(OUT, { recursive: true });
const svg = `data:image/svg+xml;base64,${(await readFile(join(WWW, 'icon.svg'))).toString('base64')}`;
const browser = await launch({ webgpu: false });

/** Screenshots the SVG at `size` px, drawn at `scale` of it on `background` (none: transparent). */
async function render(name, size, { scale = 1, background = 'transparent' } = {}) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  const side = Math.round(size * scale);
  await page.setContent(`<body style="margin:0;width:${size}px;height:${size}px;display:grid;place-items:center;background:${background}">
    <img src="${svg}" width="${side}" height="${side}"></body>`);
  await page.waitForFunction(() => document.images[0].complete);
  await page.screenshot({ path: join(OUT, name), omitBackground: background === 'transparent' });
  await page.close();
  console.log(`www/icons/${name}`);
}

await render('icon-192.png', 192);
await render('icon-512.png', 512);
// The mask keeps at least a circle of 80 % of the side: the camera (44 of the SVG's 64 units
// wide) drawn at 80 % fits inside it; the SVG's rounded corners vanish into the same blue.
await render('icon-maskable-512.png', 512, { scale: 0.8, background: BLUE });
await browser.close();
