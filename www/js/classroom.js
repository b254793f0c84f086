// Wires the classroom panels beside the layer table: the top-5 quiz and the input-size
// comparison. main.js hands over the engine and a way to read the last classified frame.

import { explain, t } from './i18n.js';
import { Quiz, answerIndex, labelOptions } from './quiz.js';
import { compareSizes, renderSizes } from './sizes.js';

const $ = (id) => document.getElementById(id);

/**
 * `current()` returns `{frame, result, labels}` of the last classification (or nulls);
 * returns `onModel(manifest)` to call when another model becomes active.
 */
export function setupClassroom({ engine, current, showError }) {
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

  return function onModel(manifest) {
    $('quiz-labels').replaceChildren(...labelOptions(manifest.labels));
    quiz.reset();
    $('quiz-verdict').textContent = '';
    $('sizes-grid').replaceChildren();
    score();
  };
}
