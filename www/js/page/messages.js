// The page's status line (loading…) and its error line. A camera frame's failure is said there
// too, and the next good frame clears it; only it: a model that could not load or a picture that
// could not be read stays said while the camera goes on.

export function createMessages({ status, error }) {
  let fromFrame = false; // whether the error shown is a camera frame's
  const show = (text, frame) => {
    error.textContent = text;
    error.hidden = !text;
    fromFrame = frame;
  };
  return {
    status: (text) => { status.textContent = text; },
    /** Says what went wrong; '' clears it. */
    error: (text) => show(text, false),
    /** Says why a camera frame failed. */
    frameFailed: (text) => show(text, true),
    /** A frame was tagged: a frame's failure is over. */
    frameTagged: () => { if (fromFrame) show('', false); },
  };
}
