//! `camtag cam`: where the network looks, natively: the class activation map of a picture's top
//! tag (or a chosen one), as numbers (`--json`) or drawn over the crop the network saw (`--out`).
//! The page draws the same map over the camera.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use camtag::cam::ActivationMap;
use camtag::preprocess::ImageView;
use clap::Args;

#[derive(Args)]
pub struct CamArgs {
    /// The picture.
    image: PathBuf,
    /// Model bundle [default: $CAMTAG_MODEL, else www/models/mobilenet_v2.camtag].
    #[arg(long)]
    model: Option<PathBuf>,
    /// The tag whose map to compute, by name (English or Chinese) or index [default: the top tag].
    #[arg(long)]
    tag: Option<String>,
    /// Write the map over the crop the network saw, as a PNG.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the map (values, shape, tag, logit and bias) and the top 5 as JSON.
    #[arg(long)]
    json: bool,
    /// Where the network runs.
    #[arg(long, value_enum, default_value_t = super::DeviceArg::Auto)]
    device: super::DeviceArg,
}

pub fn run(args: CamArgs) -> Result<ExitCode> {
    let (_, classifier) = super::model::open(args.device, args.model)?;
    let labels = &classifier.manifest().labels;
    let class = match &args.tag {
        None => None,
        Some(tag) => Some(match tag.parse::<usize>() {
            Ok(i) if i < labels.len() => i,
            Ok(i) => bail!("tag {i} does not exist: the model has {} tags (0..={})", labels.len(), labels.len() - 1),
            Err(_) => (0..labels.len())
                .find(|&i| labels.zh[i] == *tag || labels.en[i].eq_ignore_ascii_case(tag))
                .with_context(|| format!("the model has no tag {tag:?} (`camtag info` lists them)"))?,
        }),
    };
    let picture = camtag::data::photo::decode(&args.image)?;
    let view = ImageView::rgb(&picture.rgb, picture.width, picture.height).with_context(|| args.image.display().to_string())?;
    let (predictions, map) = pollster::block_on(classifier.classify_with_map(classifier.input(&view), 5, class))?;
    if let Some(out) = &args.out {
        let spec = &classifier.manifest().preprocessing;
        let side = spec.crop as usize;
        let png = overlay(&spec.crop_rgb(&view), side, &map);
        image::save_buffer(out, &png, side as u32, side as u32, image::ExtendedColorType::Rgb8)
            .with_context(|| format!("{}: cannot write the map", out.display()))?;
    }
    if args.json {
        let report = serde_json::json!({ "file": args.image.display().to_string(), "map": map, "predictions": predictions });
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let [h, w] = map.shape;
        println!("{} {} (logit {:.3} = bias {:.3} + mean of the {h}x{w} map)", map.zh, map.en, map.logit, map.bias);
        for row in map.values.chunks(w) {
            println!("{}", row.iter().map(|v| format!("{v:7.2}")).collect::<Vec<_>>().join(" "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Five stops of matplotlib's `inferno` colormap (at 0, ¼, ½, ¾ and 1; matplotlib `_cm_listed.py`),
/// interpolated linearly: dark for places that take from the score, bright for those adding most.
const INFERNO: [[f32; 3]; 5] = [[0.0, 0.0, 4.0], [87.0, 16.0, 110.0], [188.0, 55.0, 84.0], [249.0, 142.0, 9.0], [252.0, 255.0, 164.0]];

fn inferno(t: f32) -> [f32; 3] {
    let x = t.clamp(0.0, 1.0) * 4.0;
    let i = (x as usize).min(3);
    let f = x - i as f32;
    std::array::from_fn(|c| INFERNO[i][c] * (1.0 - f) + INFERNO[i + 1][c] * f)
}

/// The map scaled to 0..1 (its minimum to its maximum), upsampled bilinearly to `side` (cell
/// centres at (i + ½)·side/cells, as `torch.nn.functional.interpolate(align_corners=False)`),
/// coloured and blended half and half over the `side` x `side` RGB crop.
fn overlay(crop: &[u8], side: usize, map: &ActivationMap) -> Vec<u8> {
    let [h, w] = map.shape;
    let (min, max) = map.values.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let span = (max - min).max(f32::EPSILON);
    let at = |y: usize, x: usize| (map.values[y * w + x] - min) / span;
    let axis = |p: usize, cells: usize| {
        let s = ((p as f32 + 0.5) * cells as f32 / side as f32 - 0.5).clamp(0.0, (cells - 1) as f32);
        let i = (s as usize).min(cells.saturating_sub(2));
        (i, (i + 1).min(cells - 1), s - i as f32)
    };
    let mut out = Vec::with_capacity(side * side * 3);
    for py in 0..side {
        let (y0, y1, fy) = axis(py, h);
        for px in 0..side {
            let (x0, x1, fx) = axis(px, w);
            let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
            let bottom = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
            let colour = inferno(top * (1.0 - fy) + bottom * fy);
            let pixel = &crop[(py * side + px) * 3..][..3];
            out.extend((0..3).map(|c| (0.5 * pixel[c] as f32 + 0.5 * colour[c]).round() as u8));
        }
    }
    out
}
