//! `camtag eval`: accuracy, per-tag precision and recall, the confusion matrix and the mistakes
//! of a bundle on a folder of labelled photos.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use camtag::evaluate::confusion::{display_width, pad};
use camtag::evaluate::{self, ConfusionMatrix, TagScore};
use clap::Args;
use serde::Serialize;

#[derive(Args)]
pub struct EvalArgs {
    /// Model bundle [default: $CAMTAG_MODEL, else www/models/mobilenet_v2.camtag].
    #[arg(long)]
    model: Option<PathBuf>,
    /// ImageFolder tree whose folder names are labels of the model.
    #[arg(long)]
    data: PathBuf,
    /// Also draw the confusion matrix as an SVG picture, here (nothing is written unasked).
    #[arg(long)]
    confusion: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Where the network runs.
    #[arg(long, value_enum, default_value_t = super::DeviceArg::Auto)]
    device: super::DeviceArg,
}

#[derive(Serialize)]
struct Mistake {
    file: String,
    tag: String,
    predicted: String,
    confidence: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    model: String,
    pictures: usize,
    k: usize,
    top1: f64,
    topk: f64,
    per_tag: Vec<TagScore>,
    confusion: ConfusionMatrix,
    misclassified: Vec<Mistake>,
}

pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let model = args.model.unwrap_or_else(super::default_model);
    let (_, classifier) = super::model::open(args.device, Some(model.clone()))?;
    let evaluation = evaluate::evaluate(&classifier, &args.data, |done, total| {
        if done % 10 == 0 || done == total {
            eprint!("\rclassifying {done}/{total}");
        }
    })?;
    eprintln!();
    let confusion = evaluation.confusion();
    if let Some(path) = &args.confusion {
        let title = format!("{} on {}", classifier.manifest().name, args.data.display());
        camtag::import::write_atomically(path, confusion.to_svg(&title).as_bytes())?;
    }
    let report = Report {
        model: model.display().to_string(),
        pictures: evaluation.outcomes.len(),
        k: evaluation.k,
        top1: evaluation.top1(),
        topk: evaluation.topk(),
        per_tag: evaluation.per_tag(),
        misclassified: evaluation
            .misclassified()
            .into_iter()
            .map(|o| Mistake {
                file: o.file.display().to_string(),
                tag: evaluation.tags[o.truth].clone(),
                predicted: evaluation.predicted_name(o).to_owned(),
                confidence: o.confidence,
            })
            .collect(),
        confusion,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    if let Some(path) = &args.confusion {
        eprintln!("confusion matrix: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(r: &Report) {
    println!("{}: {} pictures", r.model, r.pictures);
    println!("top-1 {:.1}%   top-{} {:.1}%\n", r.top1, r.k, r.topk);
    let first = r.per_tag.iter().map(|s| display_width(&s.tag)).max().unwrap_or(3).max(16);
    println!("{} {:>8} {:>10} {:>8}", pad("tag", first, true), "pictures", "precision", "recall");
    for s in &r.per_tag {
        let precision = s.precision.map_or("–".to_owned(), |p| format!("{p:.1}%"));
        println!("{} {:>8} {:>10} {:>7.1}%", pad(&s.tag, first, true), s.pictures, precision, s.recall);
    }
    println!("\nconfusion matrix (rows: true tag, columns: predicted)\n{}", r.confusion.to_text());
    if !r.misclassified.is_empty() {
        println!("misclassified:");
        for m in &r.misclassified {
            println!("  {}  {} → {} ({:.0}%)", m.file, m.tag, m.predicted, m.confidence * 100.0);
        }
    }
}
