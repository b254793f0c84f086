//! The confusion matrix as text (for the terminal) and as an SVG picture: one row per true tag,
//! one column per predicted tag, darker where more pictures fell.

use super::ConfusionMatrix;
use crate::svg::Svg;

/// Terminal columns `text` takes (Unicode East Asian Width: 猫 two, é and × one, a combining mark
/// none).
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` padded with spaces to `width` terminal columns (on the right when `left_aligned`).
pub fn pad(text: &str, width: usize, left_aligned: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(display_width(text)));
    if left_aligned { format!("{text}{fill}") } else { format!("{fill}{text}") }
}

impl ConfusionMatrix {
    fn has_other(&self) -> bool {
        self.counts.iter().any(|row| row[self.tags.len()] > 0)
    }

    fn columns(&self) -> Vec<String> {
        let mut cols = self.tags.clone();
        if self.has_other() {
            cols.push("other".into());
        }
        cols
    }

    /// A fixed-width table, rows = true tag, columns = predicted.
    pub fn to_text(&self) -> String {
        let cols = self.columns();
        let width = |s: &str| display_width(s);
        let cell = cols.iter().map(|c| width(c)).max().unwrap_or(1).max(5) + 1;
        let first = self.tags.iter().map(|t| width(t)).max().unwrap_or(4).max(10) + 2;
        let pad = |s: &str, w: usize| format!("{}{s}", " ".repeat(w.saturating_sub(width(s))));
        let mut out = format!("{}{}\n", pad("true \\ said", first), cols.iter().map(|c| pad(c, cell)).collect::<String>());
        for (tag, row) in self.tags.iter().zip(&self.counts) {
            out.push_str(&pad(tag, first));
            for n in &row[..cols.len()] {
                out.push_str(&pad(&n.to_string(), cell));
            }
            out.push('\n');
        }
        out
    }

    pub fn to_svg(&self, title: &str) -> String {
        let cols = self.columns();
        let n = self.tags.len();
        let cell = if n.max(cols.len()) > 20 { 28.0 } else { 48.0 };
        let (left, top) = (150.0, 130.0);
        let width = left + cell * cols.len() as f64 + 30.0;
        let height = top + cell * n as f64 + 50.0;
        let mut svg = Svg::new(width.max(360.0), height);
        svg.text(12.0, 24.0, 15.0, "start", "#222", title);
        svg.text(left + cell * cols.len() as f64 / 2.0, 46.0, 12.0, "middle", "#444", "predicted");
        svg.text_rotated(18.0, top + cell * n as f64 / 2.0, 12.0, "middle", -90.0, "true tag");
        for (j, col) in cols.iter().enumerate() {
            svg.text_rotated(left + cell * (j as f64 + 0.5) + 4.0, top - 8.0, 12.0, "start", -50.0, col);
        }
        for (i, (tag, row)) in self.tags.iter().zip(&self.counts).enumerate() {
            let total: usize = row.iter().sum();
            svg.text(left - 8.0, top + cell * (i as f64 + 0.5) + 4.0, 12.0, "end", "#222", tag);
            for (j, &count) in row[..cols.len()].iter().enumerate() {
                let share = if total == 0 { 0.0 } else { count as f64 / total as f64 };
                // Correct cells in blue, mistakes in red, shade by the row's share.
                let (r, g, b) = if i == j { (31.0, 119.0, 180.0) } else { (214.0, 39.0, 40.0) };
                let mix = |c: f64| (255.0 - (255.0 - c) * share).round() as u8;
                let fill = format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b));
                let (x, y) = (left + cell * j as f64, top + cell * i as f64);
                svg.rect(x, y, cell, cell, &fill, Some("#ccc"));
                let ink = if share > 0.55 { "white" } else { "#222" };
                svg.text(x + cell / 2.0, y + cell / 2.0 + 4.0, 12.0, "middle", ink, &count.to_string());
            }
        }
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_picture_show_every_cell() {
        let m = ConfusionMatrix { tags: vec!["多云".into(), "晴天".into()], counts: vec![vec![3, 1, 0], vec![0, 4, 2]] };
        let text = m.to_text();
        assert!(text.contains("other"), "{text}");
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().nth(1).unwrap().trim_start().starts_with("多云"));
        let svg = m.to_svg("test");
        assert_eq!(svg.matches("<rect").count(), 1 + 6, "background + 2x3 cells");
        assert!(svg.contains(">晴天<"));
        let no_other = ConfusionMatrix { tags: vec!["a".into(), "b".into()], counts: vec![vec![1, 0, 0], vec![0, 1, 0]] };
        assert!(!no_other.to_text().contains("other"));
    }
}

#[cfg(test)]
mod width_tests {
    use super::*;

    #[test]
    fn terminal_widths_follow_unicode_not_ascii() {
        assert_eq!(display_width("宇航员"), 6);
        assert_eq!(display_width("café"), 4);
        assert_eq!(display_width("e\u{301}"), 1, "e and a combining acute");
        assert_eq!(display_width("3×3 → 1"), 7);
        assert_eq!(pad("猫", 4, true), "猫  ");
        assert_eq!(pad("é", 3, false), "  é");
    }
}
