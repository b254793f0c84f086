// The classroom's top-5 quiz: the student says what the object really is; camtag counts whether
// that was its first guess (top-1) or among its five (top-5), and keeps the score and the two
// error rates (top-1 error, top-5 error: the ImageNet challenge's measures) for the session.

/** Finds the model label a typed answer names: "虎斑猫", "tabby" or the list's "虎斑猫 · tabby". */
export function answerIndex(labels, text) {
  const answer = text.trim();
  if (!answer) return -1;
  const [zhPart, enPart] = answer.split(' · ');
  const lower = (s) => s.toLowerCase();
  for (let i = 0; i < labels.en.length; i += 1) {
    if (labels.zh[i] === zhPart || lower(labels.en[i]) === lower(enPart ?? answer) || lower(labels.en[i]) === lower(answer)) return i;
  }
  return -1;
}

/** The `<datalist>` options for a model's labels. */
export function labelOptions(labels) {
  return labels.en.map((en, i) => new Option(labels.zh[i] === en ? en : `${labels.zh[i]} · ${en}`));
}

/** Running top-1 / top-5 counts. */
export class Quiz {
  asked = 0;
  top1 = 0;
  top5 = 0;

  /** Scores one answer against a result's predictions (most probable first). */
  check(index, predictions) {
    const rank = predictions.findIndex((p) => p.index === index);
    this.asked += 1;
    if (rank === 0) this.top1 += 1;
    if (rank >= 0 && rank < 5) this.top5 += 1;
    return { rank };
  }

  reset() {
    this.asked = 0;
    this.top1 = 0;
    this.top5 = 0;
  }

  /** Error rates in percent (`null` before the first answer). */
  errors() {
    if (!this.asked) return null;
    return { top1: (100 * (this.asked - this.top1)) / this.asked, top5: (100 * (this.asked - this.top5)) / this.asked };
  }
}
