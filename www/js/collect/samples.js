// Collecting your own tags (the Teach panel, teach/panel.js, keeps the samples): what a tag's name
// may be, since it is also the folder of its pictures in the zip export that `camtag train
// --data` reads (ImageFolder layout: 多云/0001.png …).

/** A tag must be a usable folder name: no slashes, no leading dot, not empty. */
export function cleanTag(text) {
  return text.trim().replace(/[\\/:*?"<>|\u0000-\u001f]/g, '').replace(/^\.+/, '').slice(0, 64);
}
