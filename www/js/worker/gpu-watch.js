// WebGPU device loss, seen from the inference worker. A GPU can go away at any time (driver
// reset, another tab taking the memory, a laptop switching GPUs); the WebGPU spec reports it
// only on `GPUDevice.lost`, which burn's wgpu backend does not surface to camtag. Every device
// the worker's wasm asks for is wrapped here (before the wasm runs) so that the loss reaches
// the page, which then reloads the model on the CPU and says so.

/** The devices created so far, newest last (kept for diagnostics, e.g. from a debugger or test). */
export const gpuDevices = [];

/** Calls `onLost(message)` once when any device this worker created is lost. */
export function watchGpuDevices(onLost) {
  const Adapter = self.GPUAdapter;
  if (!Adapter?.prototype?.requestDevice) return; // no WebGPU in this browser: nothing to lose
  const requestDevice = Adapter.prototype.requestDevice;
  let reported = false;
  Adapter.prototype.requestDevice = async function requestDeviceWatched(...args) {
    const device = await requestDevice.apply(this, args);
    gpuDevices.push(device);
    self.camtagGpuDevices = gpuDevices;
    device.lost.then(({ reason, message }) => {
      if (reported) return;
      reported = true;
      onLost(`${reason ?? 'unknown'}${message ? `: ${message}` : ''}`);
    });
    return device;
  };
}
