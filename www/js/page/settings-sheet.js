// The settings (camera, backend, model, input size, language, large type): a row under the
// viewfinder on a wide screen; on a narrow one (css/style.css, max-width 760px) a sheet over the
// page's foot that the bar's last button opens and Esc, the close button or the button again closes.

export function createSettingsSheet({ sheet, toggle, close }) {
  const isOpen = () => sheet.classList.contains('open');
  const set = (open) => {
    sheet.classList.toggle('open', open);
    toggle.setAttribute('aria-expanded', String(open));
    // The first control shown (the camera picker is hidden where there is one camera).
    if (open) [...sheet.querySelectorAll('select, button')].find((c) => c !== close && c.getClientRects().length)?.focus();
  };
  toggle.addEventListener('click', () => set(!isOpen()));
  close.addEventListener('click', () => { set(false); toggle.focus(); });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && isOpen()) { set(false); toggle.focus(); }
  });
  return { open: () => set(true), close: () => set(false) };
}
