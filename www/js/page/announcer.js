// What a screen reader hears of the tags: the top-5 list and the verdict are redrawn on every
// camera frame, so neither is a live region (a reader would announce a frame's worth of text a
// few times a second). A visually hidden polite live region says the top tag instead, and only
// when it changes: another class on top, or "not sure".

/**
 * Announces through `region` (a visually hidden `role="status"` element). `say(key, text)`
 * writes `text` only when `key` differs from the last one said; `clear()` forgets it (the next
 * `say` speaks, even of the same tag).
 */
export function createAnnouncer(region) {
  let last = null;
  return {
    say(key, text) {
      if (key === last) return;
      last = key;
      region.textContent = text;
    },
    clear() {
      last = null;
    },
  };
}
