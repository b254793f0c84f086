// Large type for a classroom projector: everything scales with the root font size; remembered.

const KEY = 'camtag.largeType';

export function initLargeType(button) {
  const apply = (on) => {
    document.documentElement.classList.toggle('large-type', on);
    button.setAttribute('aria-pressed', String(on));
    localStorage.setItem(KEY, on ? '1' : '0');
  };
  apply(localStorage.getItem(KEY) === '1');
  button.addEventListener('click', () => apply(!document.documentElement.classList.contains('large-type')));
}
