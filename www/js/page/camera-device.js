// The camera: open, describe failures in words a person understands, and release it.

import { Problem } from '../shared/problem.js';

/**
 * Opens a camera: the one with `deviceId` when given, else the one facing `facingMode` (the back
 * camera of a phone by default). Resolves to the MediaStream, or throws a Problem saying why not.
 * `onEnded` is called if the camera goes away on its own (unplugged, taken by the system); not
 * when camtag closes it.
 */
export async function openCamera(video, { deviceId = null, facingMode = 'environment', onEnded = () => {} } = {}) {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new Problem('insecure');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: {
        ...(deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: facingMode } }),
        width: { ideal: 640 },
        height: { ideal: 480 },
      },
      audio: false,
    });
  } catch (e) {
    throw describeCameraError(e);
  }
  for (const track of stream.getVideoTracks()) track.addEventListener('ended', () => onEnded(), { once: true });
  video.srcObject = stream;
  await video.play();
  return stream;
}

/** The cameras this device has (`[{deviceId, label}]`; labels appear once permission is given). */
export async function listCameras() {
  const devices = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
  return devices.filter((d) => d.kind === 'videoinput').map(({ deviceId, label }, i) => ({ deviceId, label: label || `#${i + 1}` }));
}

/** The device id of the camera `video` is showing, if any. */
export function currentCameraId(video) {
  return video.srcObject?.getVideoTracks()[0]?.getSettings().deviceId ?? null;
}

/**
 * Whether the camera `video` shows faces the user (a front camera, a webcam that says so): its
 * track's settings say which way it faces; where they do not, the way it was asked for
 * (`requested`, null when a camera was picked by its id).
 */
export function facesUser(video, requested = null) {
  const facing = video.srcObject?.getVideoTracks()[0]?.getSettings().facingMode || requested;
  return facing === 'user';
}

/** Stops every track so the camera light goes off. */
export function closeCamera(video) {
  const stream = video.srcObject;
  if (stream) for (const track of stream.getTracks()) track.stop();
  video.srcObject = null;
}

function describeCameraError(e) {
  switch (e?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new Problem('cameraDenied');
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new Problem('noCamera');
    case 'NotReadableError':
    case 'AbortError':
      return new Problem('cameraBusy');
    default:
      return new Problem('cameraFailed', {}, e?.message ?? String(e));
  }
}
