//! `camtag info`: what a bundle holds, and its layer table (output shape, parameters, MACs per
//! layer) at any input size; or, with `--arch`, the table of an architecture by name.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use camtag::Bundle;
use camtag::nets::Architecture;
use camtag::nets::summary::{LayerKind, LayerSummary, Summary};
use camtag::preprocess::Preprocessing;
use clap::Args;
use serde::Serialize;

#[derive(Args)]
pub struct InfoArgs {
    /// Model bundle [default: $CAMTAG_MODEL, else www/models/mobilenet_v2.camtag].
    #[arg(long)]
    model: Option<PathBuf>,
    /// Input side in pixels [default: the model's own, e.g. 224].
    #[arg(long)]
    size: Option<usize>,
    /// An architecture instead of a bundle: mobilenet-v2, efficientnet-lite0, vgg11, vgg16,
    /// vgg-small, googlenet, resnet18, resnet-small (1000 classes).
    #[arg(long, conflicts_with = "model")]
    arch: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    name: &'a str,
    size: usize,
    params: u64,
    macs: u64,
    /// A bundle's input preparation (resize, crop, mean, std); absent for `--arch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    preprocessing: Option<&'a Preprocessing>,
    summary: &'a Summary,
}

pub fn run(args: InfoArgs) -> Result<ExitCode> {
    let (name, architecture, manifest) = match &args.arch {
        Some(arch) => {
            let architecture = Architecture::named(arch)
                .with_context(|| format!("unknown architecture {arch:?}: use one of {}", Architecture::NAMES.join(", ")))?;
            (arch.clone(), architecture, None)
        }
        None => {
            let model = args.model.unwrap_or_else(super::default_model);
            let bytes = std::fs::read(&model).with_context(|| format!("{}: cannot read the model bundle", model.display()))?;
            let (manifest, _) = Bundle::read_manifest(&bytes).with_context(|| model.display().to_string())?;
            (manifest.name.clone(), manifest.architecture.clone(), Some(manifest))
        }
    };
    let size = args.size.or(manifest.as_ref().map(|m| m.preprocessing.crop as usize)).unwrap_or(224);
    if !(32..=4096).contains(&size) {
        bail!("--size {size}: use 32 to 4096 pixels (the networks halve the picture 5 times)");
    }
    architecture.accepts(size)?;
    let summary = architecture.summary(size);
    if args.json {
        let preprocessing = manifest.as_ref().map(|m| &m.preprocessing);
        let report = Report { name: &name, size, params: summary.params(), macs: summary.macs(), preprocessing, summary: &summary };
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{name} at {size}x{size}, {} classes", architecture.num_classes());
    println!("{:<28} {:<16} {:>14} {:>11} {:>9}", "layer", "kind", "output", "params", "MACs");
    for layer in &summary.layers {
        let [c, h, w] = layer.output;
        println!(
            "{:<28} {:<16} {:>14} {:>11} {:>9}",
            layer.name,
            kind(layer),
            format!("{c}x{h}x{w}"),
            thousands(layer.params),
            millions(layer.macs)
        );
    }
    println!("{:<28} {:<16} {:>14} {:>11} {:>9}", "total", "", "", thousands(summary.params()), millions(summary.macs()));
    if let Some(note) = published_note(&architecture) {
        println!("{note}");
    }
    if let Some(manifest) = manifest {
        if let Some(a) = &manifest.accuracy {
            println!("published accuracy: top-1 {} %, top-5 {} % ({})", a.top1, a.top5, a.measured_on);
        }
        let w = &manifest.weights;
        println!("weights: {:?}, {} bytes, from {} ({})", w.dtype, w.bytes, manifest.source.file, manifest.source.licence);
    }
    Ok(ExitCode::SUCCESS)
}

/// How a count compares with a well-known one that differs, and why.
fn published_note(architecture: &camtag::nets::Architecture) -> Option<&'static str> {
    match architecture {
        camtag::nets::Architecture::Googlenet(_) => Some(
            "note: torchvision's googlenet (without its auxiliary heads) counts 6,624,904 parameters: its \"5x5\" \
             branches use 3x3 convolutions (torchvision issue #906); these are the paper's 5x5, \
             16 x (16·32 + 32·96 + 16·48 + 24·64 + 24·64 + 32·64 + 32·128 + 32·128 + 48·128) = 380,928 more",
        ),
        _ => None,
    }
}

fn kind(layer: &LayerSummary) -> String {
    let k = layer.kernel.unwrap_or(1);
    let stride = if layer.stride > 1 { format!(" /{}", layer.stride) } else { String::new() };
    match layer.kind {
        LayerKind::Conv => format!("conv {k}x{k}{stride}"),
        LayerKind::Depthwise => format!("depthwise {k}x{k}{stride}"),
        LayerKind::Expand1x1 => "1x1 expand".into(),
        LayerKind::Reduce1x1 => "1x1 reduce".into(),
        LayerKind::ResidualAdd => "residual add".into(),
        LayerKind::MaxPool => format!("max pool {k}x{k}{stride}"),
        LayerKind::GlobalAvgPool => "global avg pool".into(),
        LayerKind::Linear => "linear".into(),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn millions(n: u64) -> String {
    if n == 0 { "-".into() } else { format!("{:.1} M", n as f64 / 1e6) }
}
