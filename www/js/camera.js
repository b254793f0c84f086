// The camera: open, describe failures in words a person understands, and release it.

/** Opens the camera. Resolves to the MediaStream, or throws an Error whose message is ready to show. */
export async function openCamera(video, { facingMode = 'environment' } = {}) {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new Error('此页面无法使用摄像头：需要 https 或 localhost。 The camera needs a secure page: open it over https or on localhost, not a LAN address over http.');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: facingMode }, width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    });
  } catch (e) {
    throw new Error(describeCameraError(e));
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
      return '摄像头权限被拒绝。请在地址栏允许使用摄像头后刷新。 Camera access was denied: allow it in the address bar, then reload.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return '没有找到摄像头。 No camera was found on this device.';
    case 'NotReadableError':
    case 'AbortError':
      return '摄像头被其他程序占用。 The camera is in use by another application.';
    default:
      return `无法打开摄像头 Cannot open the camera: ${e?.message ?? e}`;
  }
}
