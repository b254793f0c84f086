// The camera: open, describe failures in words a person understands, and release it.

import { Problem } from './problem.js';

/** Opens the camera. Resolves to the MediaStream, or throws a Problem saying why not. */
export async function openCamera(video, { facingMode = 'environment' } = {}) {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new Problem('insecure');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: facingMode }, width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (e) {
    throw describeCameraError(e);
  }
  video.srcObject = stream;
  await video.play();
  return stream;
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
