// What runs the model, said beside the tags: the backend, its wasm package and instruction set
// (as data-wasm and data-package, for the curious and the tests), and why, when that is not the
// GPU. `auto`'s trial of the GPU (worker/gpu-trial.js) is kept in `shown.gpuTrial`: pending, its
// two times, or its problem.

import { explain, t } from './i18n.js';

export function createBackendDisplay({ ui, shown }) {
  function show(model) {
    ui.backend.textContent = model.backend;
    ui.backend.dataset.wasm = model.wasm;
    ui.backend.dataset.package = model.package;
    const trial = shown.gpuTrial;
    if (trial?.pending) ui.backend.title = t('tryingGpu');
    else if (trial && !trial.problem) ui.backend.title = t('gpuTimes', { gpu: trial.gpuMs, cpu: trial.cpuMs });
    else ui.backend.title = model.backend === 'CPU' ? t(model.wasm === 'simd' ? 'wasmSimd' : 'wasmBaseline') : '';
    let why = '';
    if (trial?.problem) why = `${t('fallback')} (${trial.problem.detail || explain(trial.problem)})`;
    else if (trial && !trial.pending && model.backend === 'CPU') why = t('gpuSlower', { gpu: trial.gpuMs, cpu: trial.cpuMs });
    else if (model.fallbackReason) why = `${t('fallback')} (${model.fallbackReason})`;
    ui.fallback.hidden = !why;
    ui.fallback.textContent = why;
  }

  return {
    show,
    /** A model was loaded: its trial of the GPU, if any, is pending. */
    loaded(model) {
      shown.gpuTrial = model.trial ? { pending: true } : null;
      show(model);
    },
    /** A load failed: a trial still running for the previous model `model` ended with it. */
    loadFailed(model) {
      if (!shown.gpuTrial?.pending) return;
      shown.gpuTrial = null;
      show(model);
    },
    /** `model`'s trial of the GPU ended: it now runs on `backend`, from `package`. */
    trialEnded(model, { backend, package: wasmPackage, gpuMs, cpuMs, problem }) {
      shown.gpuTrial = problem ? { problem } : { gpuMs, cpuMs, backend };
      Object.assign(model, { backend, package: wasmPackage });
      show(model);
    },
    /** The GPU went away and the model was loaded again on the CPU. */
    gpuLost(problem) {
      ui.fallback.textContent = `${t('gpuLost')} (${problem.detail})`;
      ui.fallback.hidden = false;
    },
  };
}
