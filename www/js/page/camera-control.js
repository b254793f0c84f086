// The page's camera: start and stop, front/back and the camera picker, pause, and off whenever
// the page is hidden. While it runs, the frame loop (page/frame-loop.js) hands its frames to
// `tagging`; they wait until `ready()` (a model is loaded). A camera facing the user is shown
// mirrored, as a mirror would (CSS only: the frame loop draws the video's own, unmirrored
// pixels, so the network sees what the camera sees and text in it stays readable).

import { closeCamera, currentCameraId, facesUser, listCameras, openCamera } from './camera-device.js';
import { explain, t } from './i18n.js';
import { startLoop } from './frame-loop.js';
import { fitTo, setToggle, showOnStage } from './stage.js';

export function createCameraControl({ ui, tagging, messages, collect, ready }) {
  let cameraId = null;
  let facingMode = 'environment';
  let stopLoop = null;

  /**
   * Opens the camera and starts the frame loop. Says what went wrong, or with `quiet`, resolves to
   * the problem for the caller to say.
   */
  async function start({ quiet = false } = {}) {
    tagging.newSource();
    if (!quiet) messages.error('');
    closeCamera(ui.video);
    ui.video.classList.remove('mirrored');
    const requested = cameraId ? null : facingMode;
    try {
      await openCamera(ui.video, { deviceId: cameraId, facingMode, onEnded: onLost });
    } catch (e) {
      if (!quiet) messages.error(explain(e));
      return e;
    }
    cameraId = currentCameraId(ui.video);
    ui.video.classList.toggle('mirrored', facesUser(ui.video, requested));
    showOnStage(ui, 'video');
    setToggle(ui, 'stopCamera');
    setPaused(false);
    ui.pause.hidden = false;
    await offerCameras();
    collect.refresh();
  }

  function stop() {
    // A frame still in the worker was taken before the camera stopped: its result must not land
    // after the stop (on top of a picture shown meanwhile, or counted as a fresh tag).
    tagging.newSource();
    stopLoop?.();
    stopLoop = null;
    closeCamera(ui.video);
    ui.video.classList.remove('mirrored');
    ui.pause.hidden = true;
    collect.refresh();
    if (!ui.picture.hidden) return;
    showOnStage(ui, 'placeholder');
    setToggle(ui, 'startCamera');
  }

  /** The camera went away while in use (unplugged): stop cleanly and say so; pictures still work. */
  function onLost() {
    stop();
    messages.error(t('cameraLost'));
  }

  /** Shows the camera picker and the front/back button when there is more than one camera. */
  async function offerCameras() {
    const cameras = await listCameras();
    ui.cameraChoice.hidden = cameras.length < 2;
    ui.flip.hidden = cameras.length < 2;
    ui.cameraSelect.replaceChildren(...cameras.map((c) => new Option(c.label, c.deviceId, false, c.deviceId === cameraId)));
  }

  /**
   * Front ⇄ back: asks for the camera facing the other way (phones and tablets say which way each
   * faces); where cameras do not say (most desktop webcams) and the same one comes back, takes the
   * next one in the device list instead.
   */
  async function flip() {
    const before = cameraId;
    facingMode = facingMode === 'user' ? 'environment' : 'user';
    cameraId = null;
    await start();
    if (cameraId && cameraId === before) {
      const cameras = await listCameras();
      const next = cameras[(cameras.findIndex((c) => c.deviceId === before) + 1) % cameras.length];
      if (next && next.deviceId !== before) {
        cameraId = next.deviceId;
        await start();
      }
    }
  }

  /** Pausing freezes the picture and the tags; the camera stays open. */
  function setPaused(paused) {
    stopLoop?.();
    stopLoop = null;
    // One name, "pause", pressed while paused; the icon shows what a press does next.
    ui.pause.querySelector('use').setAttribute('href', paused ? '#i-play' : '#i-pause');
    ui.pause.setAttribute('aria-pressed', String(paused));
    if (paused) ui.video.pause();
    else {
      ui.video.play();
      stopLoop = startLoop(ui.video, tagging.classifyFrame, { ready });
    }
  }

  const isOn = () => Boolean(ui.video.srcObject);
  ui.toggle.addEventListener('click', () => (isOn() ? stop() : start()));
  ui.pause.addEventListener('click', () => setPaused(ui.pause.getAttribute('aria-pressed') !== 'true'));
  // The viewfinder takes the camera's proportions (a phone held upright gives a portrait stream).
  const fitVideo = () => { if (!ui.video.hidden) fitTo(ui, ui.video.videoWidth, ui.video.videoHeight); };
  ui.video.addEventListener('loadedmetadata', fitVideo);
  ui.video.addEventListener('resize', fitVideo);
  ui.flip.addEventListener('click', flip);
  ui.cameraSelect.addEventListener('change', () => {
    cameraId = ui.cameraSelect.value;
    start();
  });
  // Release the camera whenever the page is hidden; take it back when it returns.
  let resumeOnShow = false;
  document.addEventListener('visibilitychange', () => {
    if (document.hidden && isOn()) { resumeOnShow = true; stop(); }
    else if (!document.hidden && resumeOnShow) { resumeOnShow = false; start(); }
  });
  window.addEventListener('pagehide', stop);

  return { start, stop, isOn };
}
