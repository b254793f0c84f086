//! `camtag train`: a folder of photos in, a bundle for the page out.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use camtag::bundle::WeightsDtype;
use camtag::train::{self, TRANSFER, TrainConfig, TrainJob};
use camtag::{Backend, BackendChoice};
use clap::Args;

#[derive(Args)]
#[command(after_help = "Architectures:\n  mobilenet-v2-transfer  ImageNet MobileNetV2, frozen, new classifier (few photos: start here)\n  efficientnet-lite0-transfer  the same on EfficientNet-Lite0\n  resnet, vgg            small ResNet / VGG from scratch, for 64–96 px\n  googlenet, mobilenet-v2, resnet18, vgg11, vgg16   the full-size networks from scratch\n\nExample:\n  camtag train --data photos/ --arch mobilenet-v2-transfer --out www/models/weather.camtag\n  (photos/多云/*.jpg, photos/晴天/*.jpg, photos/夜景/*.jpg: one folder per tag)")]
pub struct TrainArgs {
    /// ImageFolder tree: one sub-folder per tag, the folder name is the tag (多云/, 晴天/, …); or a
    /// zip of one, such as the page's exported samples.zip.
    #[arg(long)]
    data: PathBuf,
    /// Network and recipe (see below).
    #[arg(long, default_value = TRANSFER)]
    arch: String,
    /// Input side in pixels [default: 224 for mobilenet-v2-transfer and googlenet, else 64].
    #[arg(long)]
    size: Option<usize>,
    /// Most epochs to run (early stopping may end sooner) [default: 30 for transfer, else 20].
    #[arg(long)]
    epochs: Option<usize>,
    /// The bundle to write (the page loads it; put it in www/models/ or drop it on the page).
    #[arg(long)]
    out: PathBuf,
    /// Continue an interrupted run from its last complete epoch.
    #[arg(long)]
    resume: bool,
    /// Pictures per step [default: a tenth of the training pictures, within 8..=32].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Peak learning rate (AdamW, cosine schedule).
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Seed for the split, the augmentation and the initial weights.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Share of each tag kept aside for validation.
    #[arg(long, default_value_t = 0.2)]
    valid_fraction: f64,
    /// Stop after this many epochs without a lower validation loss.
    #[arg(long, default_value_t = 5)]
    patience: usize,
    /// Transfer learning: embeddings per training picture (1 exact + random crops).
    #[arg(long, default_value_t = 2)]
    views: usize,
    /// Name shown in the page's model picker [default: the bundle's file name].
    #[arg(long)]
    name: Option<String>,
    /// Checkpoints and logs [default: the bundle's path with .training].
    #[arg(long)]
    workdir: Option<PathBuf>,
    /// The ImageNet bundle transfer learning starts from [default: www/models/mobilenet_v2.camtag,
    /// or efficientnet_lite0.camtag for efficientnet-lite0-transfer].
    #[arg(long)]
    backbone: Option<PathBuf>,
    /// Store weights in half precision (half the size).
    #[arg(long)]
    f16: bool,
    /// Where training runs (auto means the CPU here: on these small networks the CPU backend is
    /// the dependable choice).
    #[arg(long, value_enum, default_value_t = super::DeviceArg::Cpu)]
    device: super::DeviceArg,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: TrainArgs) -> Result<ExitCode> {
    let transfer = args.arch.ends_with("-transfer");
    let size = args.size.unwrap_or(if transfer || args.arch == "googlenet" { 224 } else { 64 });
    let config = TrainConfig::new(args.arch.clone())
        .with_size(size)
        .with_epochs(args.epochs.unwrap_or(if transfer { 30 } else { 20 }))
        .with_batch_size(args.batch_size)
        .with_learning_rate(args.lr)
        .with_seed(args.seed)
        .with_valid_fraction(args.valid_fraction)
        .with_patience(args.patience)
        .with_views(args.views);
    let choice = match args.device {
        super::DeviceArg::Auto => BackendChoice::Cpu,
        other => other.into(),
    };
    let backend = pollster::block_on(Backend::acquire(choice))?;
    let job = TrainJob {
        data: args.data,
        out: args.out,
        workdir: args.workdir,
        backbone: args.backbone,
        resume: args.resume,
        name: args.name,
        dtype: if args.f16 { WeightsDtype::F16 } else { WeightsDtype::F32 },
        device: backend.device,
    };
    let report = match train::train(&config, &job) {
        Ok(report) => report,
        Err(e) if e.is::<train::Stopped>() => {
            eprintln!("camtag: {e}");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(e),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    let kept = &report.kept;
    eprintln!(
        "wrote {} ({} tags; epoch {} of {}{}: validation top-1 {:.1}%, top-{} {:.1}%) and {} in {:.0} s",
        report.bundle.display(),
        report.tags.len(),
        kept.epoch,
        report.epochs_run,
        if report.stopped_early { ", stopped early" } else { "" },
        kept.valid.top1,
        report.k,
        kept.valid.topk,
        report.curves.display(),
        report.seconds
    );
    Ok(ExitCode::SUCCESS)
}
