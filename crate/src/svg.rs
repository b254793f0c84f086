//! A few SVG primitives for the charts camtag writes (training curves, confusion matrices). SVG
//! keeps Chinese tags as text, opens in any browser and weighs a few kilobytes.

use std::fmt::Write;

/// Escapes text for SVG content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An SVG document being drawn.
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
}

impl Svg {
    pub fn new(width: f64, height: f64) -> Self {
        Self { body: String::new(), width, height }
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: Option<&str>) {
        let stroke = stroke.map_or(String::new(), |s| format!(r#" stroke="{s}""#));
        let _ = writeln!(self.body, r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"{stroke}/>"#);
    }

    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, width: f64) {
        let _ = writeln!(self.body, r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{width}"/>"#);
    }

    /// A line through `points`, dashed when `dashed`, with a dot at each point.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, dashed: bool) {
        let list: Vec<String> = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let dash = if dashed { r#" stroke-dasharray="6 4""# } else { "" };
        let _ = writeln!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="2"{dash}/>"#,
            list.join(" ")
        );
        for (x, y) in points {
            let _ = writeln!(self.body, r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{stroke}"/>"#);
        }
    }

    /// Text at (`x`, `y`); `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, size: f64, anchor: &str, fill: &str, content: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
            escape(content)
        );
    }

    /// Text rotated by `degrees` about its anchor point.
    pub fn text_rotated(&mut self, x: f64, y: f64, size: f64, anchor: &str, degrees: f64, content: &str) {
        let _ = writeln!(
            self.body,
            r##"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{anchor}" fill="#222" transform="rotate({degrees} {x:.1} {y:.1})">{}</text>"##,
            escape(content)
        );
    }

    pub fn finish(self) -> String {
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" "#,
                r#"font-family="'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif">"#,
                "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
            ),
            w = self.width,
            h = self.height,
            body = self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let mut svg = Svg::new(10.0, 10.0);
        svg.text(0.0, 0.0, 10.0, "start", "black", "a<b & \"c\" 多云");
        let out = svg.finish();
        assert!(out.contains("a&lt;b &amp; &quot;c&quot; 多云"), "{out}");
        assert!(out.starts_with("<svg xmlns="));
    }
}
