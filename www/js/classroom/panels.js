// Wires the classroom panels beside the layer table: the top-5 quiz, the input-size comparison
// and the architecture comparison. main.js hands over the engine, a way to read the last
// classified frame, the model index and the chosen backend.

import { explain, t } from '../page/i18n.js';
import { comparisonRows, measure, renderComparison } from './architectures.js';
import { drawFeatureMaps } from './feature-maps.js';
import { Quiz, answerIndex, labelOptions } from './quiz.js';
import { compareSizes, renderSizes } from './input-sizes.js';

const $ = (id) => document.getElementById(id);

/**
 * `current()` returns `{frame, result, labels}` of the last classification (or nulls),
 * `modelIndex()` models/index.json (or null), `backend()` the backend picked;
 * returns `onModel(manifest)` to call when another model becomes active.
 */
export function setupClassroom({ engine, current, showError, modelIndex, backend }) {
  const quiz = new Quiz();
  const score = () => {
    const errors = quiz.errors();
    $('quiz-score').textContent = errors
      ? t('quizScore', { asked: quiz.asked, top1: quiz.top1, top5: quiz.top5, e1: errors.top1.toFixed(0), e5: errors.top5.toFixed(0) })
      : '';
  };
  $('quiz-check').addEventListener('click', () => {
    const { result, labels } = current();
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

  $('sizes-run').addEventListener('click', async () => {
    const { frame } = current();
    if (!frame) {
      showError(t('quizNoResult'));
      return;
    }
    const button = $('sizes-run');
    button.disabled = true;
    try {
      renderSizes($('sizes-grid'), await compareSizes(engine, frame));
    } catch (e) {
      showError(explain(e));
    } finally {
      button.disabled = false;
    }
  });

  // Feature maps: refreshed from the latest frame a few times a second while the panel is open,
  // one request at a time, so the tags keep their pace.
  const MAP_CHANNELS = 16;
  let mapsBusy = false;
  let drawn = { frame: null, point: null };
  const refreshMaps = async () => {
    const { frame } = current();
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
      window.camtag.lastMaps = maps;
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
    const index = modelIndex();
    if (!index) return;
    rows ??= comparisonRows(index);
    renderComparison($('compare-table'), rows);
  };
  $('compare-panel').addEventListener('toggle', () => $('compare-panel').open && showComparison());
  $('compare-run').addEventListener('click', async () => {
    const { frame } = current();
    if (!frame) {
      showError(t('quizNoResult'));
      return;
    }
    showComparison();
    if (!rows) return;
    const button = $('compare-run');
    button.disabled = true;
    try {
      await measure(rows, frame, backend(), showComparison);
    } catch (e) {
      showError(explain(e));
    } finally {
      button.disabled = false;
      showComparison();
    }
  });

  return function onModel(manifest) {
    $('maps-point').replaceChildren();
    drawn = { frame: null, point: null };
    $('quiz-labels').replaceChildren(...labelOptions(manifest.labels));
    quiz.reset();
    $('quiz-verdict').textContent = '';
    $('sizes-grid').replaceChildren();
    score();
  };
}
