//! Training curves as an SVG picture: loss on the left, accuracy on the right, training and
//! validation per epoch, the kept (best) epoch marked.

use super::history::History;
use crate::svg::Svg;

const TRAIN: &str = "#1f77b4";
const VALID: &str = "#d62728";

/// One chart panel: `series` are (label, colour, dashed, values per epoch).
struct Panel<'a> {
    title: &'a str,
    x0: f64,
    unit: &'a str,
    series: Vec<(&'a str, &'a str, bool, Vec<f64>)>,
    fixed: Option<(f64, f64)>,
}

const W: f64 = 420.0;
const H: f64 = 300.0;
const LEFT: f64 = 56.0;
const TOP: f64 = 40.0;
const PLOT_W: f64 = W - LEFT - 20.0;
const PLOT_H: f64 = H - TOP - 70.0;

/// A "nice" step for about `n` ticks over `span`.
fn tick_step(span: f64, n: f64) -> f64 {
    let raw = (span / n).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag)
}

fn draw(svg: &mut Svg, panel: &Panel, epochs: &[usize], best: Option<usize>) {
    let x0 = panel.x0 + LEFT;
    let values = panel.series.iter().flat_map(|s| s.3.iter().copied()).filter(|v| v.is_finite());
    let (lo, hi) = panel.fixed.unwrap_or_else(|| {
        let hi = values.fold(0f64, f64::max);
        (0.0, if hi > 0.0 { hi * 1.1 } else { 1.0 })
    });
    let (first, last) = (epochs[0] as f64, *epochs.last().unwrap() as f64);
    let sx = |e: f64| if last > first { x0 + (e - first) / (last - first) * PLOT_W } else { x0 + PLOT_W / 2.0 };
    let sy = |v: f64| TOP + PLOT_H - (v.clamp(lo, hi) - lo) / (hi - lo) * PLOT_H;

    svg.text(x0 + PLOT_W / 2.0, 24.0, 15.0, "middle", "#222", panel.title);
    let step = tick_step(hi - lo, 5.0);
    let mut tick = lo;
    while tick <= hi + 1e-9 {
        svg.line((x0, sy(tick)), (x0 + PLOT_W, sy(tick)), "#e5e5e5", 1.0);
        let label = if step >= 1.0 { format!("{tick:.0}{}", panel.unit) } else { format!("{tick:.2}{}", panel.unit) };
        svg.text(x0 - 6.0, sy(tick) + 4.0, 11.0, "end", "#444", &label);
        tick += step;
    }
    let x_step = tick_step(last - first, 8.0).max(1.0);
    let mut e = first;
    while e <= last + 1e-9 {
        svg.text(sx(e), TOP + PLOT_H + 16.0, 11.0, "middle", "#444", &format!("{e:.0}"));
        e += x_step;
    }
    svg.text(x0 + PLOT_W / 2.0, TOP + PLOT_H + 34.0, 12.0, "middle", "#444", "epoch");
    if let Some(best) = best {
        svg.line((sx(best as f64), TOP), (sx(best as f64), TOP + PLOT_H), "#999", 1.0);
        svg.text(sx(best as f64) + 3.0, TOP + 12.0, 10.0, "start", "#666", &format!("kept: epoch {best}"));
    }
    svg.line((x0, TOP), (x0, TOP + PLOT_H), "#222", 1.0);
    svg.line((x0, TOP + PLOT_H), (x0 + PLOT_W, TOP + PLOT_H), "#222", 1.0);
    for (i, (label, colour, dashed, values)) in panel.series.iter().enumerate() {
        let points: Vec<(f64, f64)> = epochs.iter().zip(values).map(|(&e, &v)| (sx(e as f64), sy(v))).collect();
        svg.polyline(&points, colour, *dashed);
        let ly = TOP + PLOT_H + 52.0;
        let lx = x0 + i as f64 * 110.0;
        svg.line((lx, ly - 4.0), (lx + 22.0, ly - 4.0), colour, 2.0);
        svg.text(lx + 26.0, ly, 11.0, "start", "#222", label);
    }
}

/// The SVG document for `history` (at least one epoch), `k` being the top-k the run measured.
pub fn render(history: &History, k: usize) -> String {
    let epochs: Vec<usize> = history.epochs.iter().map(|e| e.epoch).collect();
    let col = |f: fn(&super::history::EpochRecord) -> f64| history.epochs.iter().map(f).collect::<Vec<f64>>();
    let best = history.best().map(|b| b.epoch);
    let mut svg = Svg::new(2.0 * W, H);
    let topk = format!("valid top-{k}");
    let loss = Panel {
        title: "loss (cross-entropy)",
        x0: 0.0,
        unit: "",
        series: vec![("train", TRAIN, false, col(|e| e.train.loss)), ("valid", VALID, false, col(|e| e.valid.loss))],
        fixed: None,
    };
    let accuracy = Panel {
        title: "accuracy",
        x0: W,
        unit: "%",
        series: vec![
            ("train top-1", TRAIN, false, col(|e| e.train.top1)),
            ("valid top-1", VALID, false, col(|e| e.valid.top1)),
            (&topk, VALID, true, col(|e| e.valid.topk)),
        ],
        fixed: Some((0.0, 100.0)),
    };
    if !epochs.is_empty() {
        draw(&mut svg, &loss, &epochs, best);
        draw(&mut svg, &accuracy, &epochs, best);
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::history::{EpochRecord, SplitMetrics};

    #[test]
    fn draws_every_epoch_and_marks_the_best() {
        let m = |loss, top1| SplitMetrics { loss, top1, topk: 100.0 };
        let history = History {
            epochs: (1..=4).map(|e| EpochRecord { epoch: e, train: m(1.0 / e as f64, 20.0 * e as f64), valid: m([0.9, 0.5, 0.3, 0.4][e - 1], 60.0) }).collect(),
        };
        let svg = render(&history, 3);
        assert_eq!(svg.matches("<polyline").count(), 5);
        assert_eq!(svg.matches("<circle").count(), 20);
        assert!(svg.contains("kept: epoch 3"));
        assert!(svg.contains("valid top-3"));
        assert!(tick_step(1.0, 5.0) == 0.2 && tick_step(100.0, 5.0) == 20.0);
    }
}
