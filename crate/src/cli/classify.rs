//! `camtag classify`: the top-k classes of pictures, as text or JSON, with the same
//! preprocessing, network and top-k as the page.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use camtag::preprocess::ImageView;
use camtag::Prediction;
use clap::Args;
use serde::Serialize;

#[derive(Args)]
pub struct ClassifyArgs {
    /// Pictures to classify.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Model bundle [default: $CAMTAG_MODEL, else www/models/mobilenet_v2.camtag].
    #[arg(long)]
    model: Option<PathBuf>,
    /// How many classes to print per picture (1 or more).
    #[arg(long, default_value_t = 5, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    top: usize,
    /// Output: text, json (one array at the end, an object per picture) or jsonl (one line per
    /// picture, as soon as it is done: for folders of thousands).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Where the network runs.
    #[arg(long, value_enum, default_value_t = super::DeviceArg::Auto)]
    device: super::DeviceArg,
    /// Input side in pixels [default: the model's own, e.g. 224]; any size works thanks to
    /// global average pooling (32 to 1024).
    #[arg(long, value_parser = clap::value_parser!(u32).range(*camtag::classifier::INPUT_SIZES.start() as i64..=*camtag::classifier::INPUT_SIZES.end() as i64))]
    size: Option<u32>,
}

/// How `classify` prints its reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Jsonl,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    file: String,
    width: u32,
    height: u32,
    backend: String,
    /// From the decoded picture to the tags.
    ms: f64,
    /// Of which the preprocessing (resize, crop, normalization, upload to the device)...
    preprocess_ms: f64,
    /// ... and the network: forward pass, readback, top-k.
    inference_ms: f64,
    predictions: Vec<Prediction>,
}

pub fn run(args: ClassifyArgs) -> Result<ExitCode> {
    let (backend, classifier) = super::model::open(args.device, args.model)?;

    let format = if args.json { Format::Json } else { args.format };
    let mut reports = Vec::new();
    let mut failed = false;
    for path in &args.images {
        let result = (|| -> Result<Report> {
            let picture = camtag::data::photo::decode(path)?;
            let view = ImageView::rgb(&picture.rgb, picture.width, picture.height)
                .with_context(|| path.display().to_string())?;
            let spec = match args.size {
                Some(size) => classifier.preprocessing_at(size)?,
                None => classifier.manifest().preprocessing.clone(),
            };
            let start = Instant::now();
            let input = classifier.input_with(&view, &spec);
            let prepared = Instant::now();
            let predictions = pollster::block_on(classifier.classify_input(input, args.top))?;
            let ms = |from: Instant, to: Instant| (to - from).as_secs_f64() * 1e3;
            let done = Instant::now();
            Ok(Report {
                file: path.display().to_string(),
                width: picture.width,
                height: picture.height,
                backend: backend.kind.to_string(),
                ms: ms(start, done),
                preprocess_ms: ms(start, prepared),
                inference_ms: ms(prepared, done),
                predictions,
            })
        })();
        match result {
            Ok(report) => match format {
                Format::Json => reports.push(report),
                Format::Jsonl => {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{}", serde_json::to_string(&report)?)?;
                    out.flush()?;
                }
                Format::Text => print_text(&report),
            },
            Err(e) => {
                eprintln!("camtag: error: {e:#}");
                failed = true;
            }
        }
    }
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_text(report: &Report) {
    println!("{} ({}x{}, {}, {:.0} ms)", report.file, report.width, report.height, report.backend, report.ms);
    for (rank, p) in report.predictions.iter().enumerate() {
        println!("  {}. {:6.2}%  {} / {}  [{}]", rank + 1, p.prob * 100.0, p.zh, p.en, p.index);
    }
}

