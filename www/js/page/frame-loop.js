// The single-flight camera loop: one frame in flight at a time, a new frame only when the video
// has one, and nothing at all while paused.

/**
 * Calls `classify(imageData)` for each new video frame, never starting one before the previous
 * one finished. Until `ready()` is true (the camera may open before the model has loaded) no
 * frame is taken: the loop looks again at the next animation frame, so the first frame is
 * classified the moment the model is ready, not a video frame later. Returns `stop()`.
 */
export function startLoop(video, classify, { maxSide = 640, ready = () => true } = {}) {
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  let running = true;
  let lastTime = -1;

  const schedule = ({ poll = false } = {}) => {
    if (!running) return;
    if (video.requestVideoFrameCallback && !poll) video.requestVideoFrameCallback(() => tick());
    else requestAnimationFrame(() => tick());
  };

  const tick = async () => {
    if (!running) return;
    const { videoWidth: w, videoHeight: h } = video;
    if (!w || !h || video.currentTime === lastTime) return schedule(); // no frame yet, or the same one
    if (!ready()) return schedule({ poll: true }); // this frame stays untaken until the model is ready
    lastTime = video.currentTime;
    const scale = Math.min(1, maxSide / Math.max(w, h));
    const [cw, ch] = [Math.round(w * scale), Math.round(h * scale)];
    if (canvas.width !== cw || canvas.height !== ch) [canvas.width, canvas.height] = [cw, ch]; // resizing clears and reallocates
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    try {
      await classify(frame);
    } finally {
      schedule();
    }
  };

  schedule();
  return () => { running = false; };
}
