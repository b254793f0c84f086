// Wires the classroom panels: the layer table, the feature maps, the top-5 quiz, the input-size
// comparison and the architecture comparison. They work on the active model (in `engine`) and
// on the last classified frame and result (`shown.lastFrame`, `shown.lastResult`).

import { byId as $ } from '../page/elements.js';
import { explain, t } from '../page/i18n.js';
import { comparisonRows, measure, renderComparison } from './architectures.js';
import { drawFeatureMaps } from './feature-maps.js';
import { renderLayerTable } from './layer-table.js';
import { Quiz, answerIndex, labelOptions } from './quiz.js';
import { compareSizes, renderSizes } from './input-sizes.js';

/**
 * `backend()`: where the comparison runs. Returns `onModel(manifest)`, to call when another model
 * becomes active, `onIndex(index)`, when models/index.json is read, and `onLanguage()`.
 */
export function setupClassroom({ engine, shown, showError, backend }) {
  let labels = null; // the active model's
  let modelIndex = null; // models/index.json

  /**
   * A button that runs `task(frame)` on the last classified frame, disabled meanwhile; says why
   * not before a frame, or what failed.
   */
  const onFrame = (button, task) => button.addEventListener('click', async () => {
    const frame = shown.lastFrame;
    if (!frame) {
      showError(t('quizNoResult'));
      return;
    }
    button.disabled = true;
    try {
      await task(frame);
    } catch (e) {
      showError(explain(e));
    } finally {
      button.disabled = false;
    }
  });

  // The layer table of the active model at the chosen input size, filled when its panel is open.
  const showLayers = async () => {
    if (!$('layers-panel').open || !labels) return;
    try {
      renderLayerTable($('layers-table'), await engine.layers(Number($('layers-size').value)));
    } catch (e) {
      showError(explain(e));
    }
  };
  $('layers-panel').addEventListener('toggle', showLayers);
  $('layers-size').addEventListener('change', showLayers);

  const quiz = new Quiz();
  const score = () => {
    const errors = quiz.errors();
    $('quiz-score').textContent = errors
      ? t('quizScore', { asked: quiz.asked, top1: quiz.top1, top5: quiz.top5, e1: errors.top1.toFixed(0), e5: errors.top5.toFixed(0) })
      : '';
  };
  $('quiz-check').addEventListener('click', () => {
    const result = shown.lastResult;
    const verdict = $('quiz-verdict');
    if (!result || !labels) {
      verdict.textContent = t('quizNoResult');
      return;
    }
    const answer = $('quiz-answer').value;
    const index = answerIndex(labels, answer);
    if (index < 0) {
      verdict.textContent = t('quizUnknown', { answer: answer.trim() });
      return;
    }
    const { rank } = quiz.check(index, result.predictions);
    verdict.textContent = rank === 0 ? t('quizTop1') : rank > 0 && rank < 5 ? t('quizTopN', { rank: rank + 1 }) : t('quizMiss');
    verdict.dataset.rank = String(rank);
    score();
  });
  $('quiz-reset').addEventListener('click', () => {
    quiz.reset();
    $('quiz-verdict').textContent = '';
    score();
  });

  onFrame($('sizes-run'), async (frame) => renderSizes($('sizes-grid'), await compareSizes(engine, frame)));

  // Feature maps: refreshed from the latest frame a few times a second while the panel is open,
  // one request at a time, so the tags keep their pace.
  const MAP_CHANNELS = 16;
  let mapsBusy = false;
  let drawn = { frame: null, point: null };
  const refreshMaps = async () => {
    const frame = shown.lastFrame;
    const select = $('maps-point');
    const point = select.value === '' ? 0 : Number(select.value);
    if (!$('maps-panel').open || !frame || mapsBusy || (frame === drawn.frame && point === drawn.point)) return;
    mapsBusy = true;
    drawn = { frame, point };
    try {
      const { maps, points } = await engine.featureMaps(frame, point, MAP_CHANNELS);
      if (select.options.length !== points.length) {
        select.replaceChildren(...points.map((name, i) => new Option(name, String(i), false, i === point)));
      }
      const [c, h, w] = maps.shape;
      $('maps-shape').textContent = t('mapsShape', { point: maps.point, c, h, w, n: maps.channels });
      const canvas = $('maps-canvas');
      canvas.dataset.point = maps.point;
      drawFeatureMaps(canvas, maps);
      shown.lastMaps = maps;
    } catch (e) {
      showError(explain(e));
    } finally {
      mapsBusy = false;
    }
  };
  // The timer runs only while the panel is open: closed, the page pays nothing per frame.
  let mapsTimer = null;
  $('maps-panel').addEventListener('toggle', () => {
    clearInterval(mapsTimer);
    mapsTimer = $('maps-panel').open ? setInterval(refreshMaps, 400) : null;
    refreshMaps();
  });
  $('maps-point').addEventListener('change', refreshMaps);

  let rows = null;
  const showComparison = () => {
    if (!modelIndex) return;
    rows ??= comparisonRows(modelIndex);
    renderComparison($('compare-table'), rows);
  };
  $('compare-panel').addEventListener('toggle', () => $('compare-panel').open && showComparison());
  onFrame($('compare-run'), async (frame) => {
    showComparison();
    if (!rows) return;
    try {
      await measure(rows, frame, backend(), showComparison);
    } finally {
      showComparison();
    }
  });

  function onModel(manifest) {
    labels = manifest.labels;
    showLayers();
    $('maps-point').replaceChildren();
    drawn = { frame: null, point: null };
    $('quiz-labels').replaceChildren(...labelOptions(manifest.labels));
    quiz.reset();
    $('quiz-verdict').textContent = '';
    $('sizes-grid').replaceChildren();
    score();
  }

  return { onModel, onIndex: (index) => { modelIndex = index; }, onLanguage: showLayers };
}
