// Projector mode (the bar's button, or `?present` in the address): the viewfinder and a large tag
// chip fill the screen, the top-5 beside them in large type, nothing else. Full screen where the
// browser allows it (a button press does; `?present` alone fills the window). Esc, the button
// again (its name stays "projector mode", pressed while on), or leaving full screen ends it.

export function createPresentMode({ button, root = document.documentElement, onEnter = () => {} }) {
  const on = () => root.classList.contains('presenting');

  async function enter() {
    onEnter();
    root.classList.add('presenting');
    button.setAttribute('aria-pressed', 'true');
    button.querySelector('use').setAttribute('href', '#i-leave');
    if (document.fullscreenElement || !root.requestFullscreen) return;
    try {
      await root.requestFullscreen({ navigationUI: 'hide' });
    } catch {
      // Without a user's gesture (`?present`) the browser refuses: the window is filled instead.
    }
  }

  function leave() {
    root.classList.remove('presenting');
    button.setAttribute('aria-pressed', 'false');
    button.querySelector('use').setAttribute('href', '#i-present');
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }

  button.addEventListener('click', () => (on() ? leave() : enter()));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && on()) leave();
  });
  // The browser's own Esc (or gesture) ends full screen without a keydown for the page.
  document.addEventListener('fullscreenchange', () => {
    if (!document.fullscreenElement && on()) leave();
  });
  if (new URLSearchParams(location.search).has('present')) enter();
  return { enter, leave, on };
}
