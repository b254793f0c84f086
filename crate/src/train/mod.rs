//! `camtag train`: teach a network your own tags from a folder of photos (or the page's zip of
//! one), and write a bundle the page loads as is.
//!
//! Two recipes:
//! - **from scratch**: one of the lesson's networks (VGG, GoogLeNet, ResNet, MobileNetV2) with
//!   random weights, trained on augmented crops at `size` px with burn's `Learner` (data loader,
//!   metrics, checkpoints, early stopping);
//! - **transfer** (`mobilenet-v2-transfer`, `efficientnet-lite0-transfer`): the ImageNet network
//!   stays frozen and only a new classifier learns, from cached backbone embeddings (see
//!   [`transfer`]), by the page's own trainer ([`crate::teach`]): the recipe is written once.
//!
//! The training folder (`<out>.training/` by default) holds `run.json` (the options and the
//! dataset fingerprint), the zip's pictures unpacked, burn's checkpoints and metric logs, and
//! `history.json`; `--resume` continues a from-scratch run from its last complete checkpoint (a
//! transfer run takes seconds once its embeddings are cached, and is simply run again). The
//! bundle is written atomically at the end, with the kept epoch (lowest validation loss), and the
//! curves beside it.

pub mod backbone;
pub mod batcher;
pub mod curves;
pub mod history;
mod interrupt;
pub mod progress;
mod resume;
pub mod step;
pub mod transfer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::InMemDataset;
use burn::optim::AdamWConfig;
use burn::optim::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::train::metric::store::{Aggregate, Direction, Split};
use burn::train::metric::{AccuracyMetric, LossMetric, TopKAccuracyMetric};
use burn::train::{
    ClassificationOutput, InferenceStep, Learner, LearnerModel, MetricEarlyStoppingStrategy, StoppingCondition,
    SupervisedTraining, TrainStep,
};
use serde::{Deserialize, Serialize};

use crate::bundle::{Accuracy, Manifest, Source, TrainingSummary, WeightsInfo};
use crate::bundle::{Bundle, WeightsDtype, weights};
use crate::labels::Labels;
use crate::nets::Architecture;
use crate::preprocess::{Augmentation, Preprocessing};
use backbone::{Backbone, TransferFrom};
use batcher::PictureBatcher;
use crate::data::image_folder::{ImageFolder, Sample};
use history::{EpochLogger, EpochRecord, History};
use transfer::Embedding;
use crate::teach::{Examples, Fitting, TeachConfig};

/// The transfer-learning recipe's name on the command line.
pub const TRANSFER: &str = "mobilenet-v2-transfer";

/// Everything that shapes a training run (saved as `run.json`; `--resume` insists on the same).
#[derive(Config, Debug, PartialEq)]
pub struct TrainConfig {
    /// A name from [`recipes`].
    pub arch: String,
    /// Input side in pixels (the network sees `size` x `size` crops).
    #[config(default = 64)]
    pub size: usize,
    #[config(default = 20)]
    pub epochs: usize,
    /// Pictures per step; `None`: a tenth of the training pictures, within 8..=32, so that even a
    /// small set gives batch norm's running statistics enough steps per epoch to settle.
    #[config(default = "None")]
    pub batch_size: Option<usize>,
    /// Peak learning rate of AdamW, annealed to zero over the run (cosine).
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    #[config(default = 1e-4)]
    pub weight_decay: f32,
    /// Share of each tag's pictures kept aside to measure accuracy.
    #[config(default = 0.2)]
    pub valid_fraction: f64,
    #[config(default = 42)]
    pub seed: u64,
    /// Stop when the validation loss has not improved for this many epochs.
    #[config(default = 5)]
    pub patience: usize,
    /// Transfer learning: embeddings per training picture (the exact crop plus random ones).
    /// Each costs a backbone pass (~60 ms at 224 px on this 2-core machine): 2 keeps ~200
    /// photos to about 20 s.
    #[config(default = 2)]
    pub views: usize,
    #[config(default = "Augmentation::default()")]
    pub augmentation: Augmentation,
}

/// The architectures `camtag train --arch` accepts, with what each means.
pub fn recipes() -> Vec<(&'static str, &'static str)> {
    vec![
        (TRANSFER, "ImageNet MobileNetV2, frozen, with a new classifier (best with few photos)"),
        ("efficientnet-lite0-transfer", "ImageNet EfficientNet-Lite0, frozen, with a new classifier"),
        ("resnet", "small ResNet (3x3 stem, 4 stages of 1 basic block), for 64–96 px"),
        ("vgg", "small VGG (4 stages, 32…256 channels), for 64–96 px"),
        ("googlenet", "GoogLeNet with Inception modules (large; 224 px is its home)"),
        ("mobilenet-v2", "MobileNetV2 from random weights"),
        ("resnet18", "ResNet-18"),
        ("resnet-small", "same as resnet"),
        ("vgg11", "VGG-11 as published: fully connected head, 224 px only, 133 M parameters (slow, ~530 MB of weights)"),
        ("vgg16", "VGG-16 as published: fully connected head, 224 px only, 138 M parameters (slow, ~550 MB of weights)"),
        ("vgg11-bn", "VGG-11 as published, with batch norm"),
        ("vgg16-bn", "VGG-16 as published, with batch norm"),
        ("vgg11-gap", "VGG-11's convolutions with batch norm, global average pooling and one linear layer: any size"),
        ("vgg16-gap", "VGG-16's convolutions the same way: any size"),
        ("vgg-small", "same as vgg"),
    ]
}

/// What to train: a network from scratch, or a head on the frozen backbone.
enum Recipe {
    Scratch(Architecture),
    Transfer(TransferFrom),
}

fn recipe(name: &str, classes: usize) -> Result<Recipe> {
    if let Some(from) = TransferFrom::from_recipe(name) {
        return Ok(Recipe::Transfer(from));
    }
    let arch = match name {
        "vgg" => "vgg-small",
        "resnet" => "resnet-small",
        other => other,
    };
    Architecture::named(arch).map(|a| Recipe::Scratch(a.with_num_classes(classes))).ok_or_else(|| {
        let names: Vec<_> = recipes().iter().map(|(n, _)| *n).collect();
        anyhow!("unknown architecture {name:?}; choose one of: {}", names.join(", "))
    })
}

/// Where things go and come from, besides the [`TrainConfig`].
pub struct TrainJob {
    /// The ImageFolder tree.
    pub data: PathBuf,
    /// The bundle to write.
    pub out: PathBuf,
    /// Checkpoints and logs; `None`: `<out without extension>.training`.
    pub workdir: Option<PathBuf>,
    /// The ImageNet bundle transfer learning starts from; `None`: where `build.sh` writes it.
    pub backbone: Option<PathBuf>,
    pub resume: bool,
    /// Display name in the page's model picker; `None`: the bundle's file name.
    pub name: Option<String>,
    pub dtype: WeightsDtype,
    pub device: Device,
}

impl TrainJob {
    pub fn workdir(&self) -> PathBuf {
        self.workdir.clone().unwrap_or_else(|| self.out.with_extension("training"))
    }

    /// `weather.camtag` → `weather.curves.svg`.
    pub fn curves_path(&self) -> PathBuf {
        self.out.with_extension("curves.svg")
    }
}

/// What a finished run reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainReport {
    pub bundle: PathBuf,
    pub curves: PathBuf,
    pub tags: Vec<String>,
    pub pictures_per_tag: Vec<usize>,
    pub train_pictures: usize,
    pub valid_pictures: usize,
    pub skipped: Vec<String>,
    /// Epochs run in total (earlier sessions included).
    pub epochs_run: usize,
    /// The epoch whose weights the bundle holds.
    pub kept: EpochRecord,
    pub stopped_early: bool,
    pub k: usize,
    pub seconds: f64,
}

/// What `run.json` records, to check a `--resume` continues the same run.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct RunRecord {
    config: TrainConfig,
    tags: Vec<String>,
    dataset_sha256: String,
}

/// A training run ended without a bundle because it was asked to stop.
#[derive(Debug, thiserror::Error)]
#[error("training stopped after epoch {epoch} ({reason}); run the same command with --resume to continue")]
pub struct Stopped {
    pub epoch: usize,
    pub reason: String,
}

/// Trains, then writes the bundle and the curves. Progress and per-epoch metrics go to stderr.
pub fn train(config: &TrainConfig, job: &TrainJob) -> Result<TrainReport> {
    let started = Instant::now();
    if config.size < 16 || config.size > 1024 {
        bail!("--size {} is out of range (16..=1024 pixels)", config.size);
    }
    if config.epochs == 0 || config.batch_size == Some(0) {
        bail!("--epochs and --batch-size must be at least 1");
    }
    if !(0.0..1.0).contains(&config.valid_fraction) || config.valid_fraction == 0.0 {
        bail!("the validation fraction must be between 0 and 1");
    }
    // A bad name, a size the network cannot take or a missing backbone fails before minutes of
    // reading pictures.
    let backbone = match recipe(&config.arch, 2)? {
        Recipe::Transfer(from) => {
            let path = job.backbone.clone().unwrap_or_else(|| from.default_bundle());
            Some(Backbone::load(from, &path, &job.device)?)
        }
        Recipe::Scratch(architecture) => {
            architecture.accepts(config.size)?;
            let summary = architecture.summary(config.size);
            if summary.params() > 50_000_000 {
                eprintln!(
                    "camtag: warning: {} has {:.0} M parameters ({:.0} MB in f32, with AdamW's state three times that): training will be slow and large",
                    config.arch,
                    summary.params() as f64 / 1e6,
                    summary.params() as f64 * 4.0 / 1e6
                );
            }
            None
        }
    };
    let preprocessing = match &backbone {
        Some(backbone) => backbone.preprocessing(config.size as u32),
        None => Preprocessing::for_size(config.size as u32),
    };
    // The page's exported zip is read as the folder it holds, unpacked into the training folder.
    let root = if crate::data::zipped::is_zip(&job.data) {
        crate::data::zipped::unpack(&job.data, &job.workdir().join("pictures"))?
    } else {
        job.data.clone()
    };
    let folder = ImageFolder::load(&root, &preprocessing, 2, |done, total| {
        if done == total || done % 25 == 0 {
            eprint!("\rreading pictures {done}/{total}");
        }
    });
    eprintln!();
    let folder = folder?;
    report_dataset(&folder);
    let (train_idx, valid_idx) = folder.split(config.valid_fraction, config.seed)?;
    let classes = folder.tags.len();
    let k = classes.min(5);

    let workdir = job.workdir();
    let run = RunRecord { config: config.clone(), tags: folder.tags.clone(), dataset_sha256: folder.fingerprint() };
    let start_epoch = resume::prepare(&workdir, job.resume, &serde_json::to_value(&run)?)?;
    let history = Arc::new(Mutex::new({
        let mut h = History::load(&workdir.join("history.json")).context("reading history.json")?;
        h.truncate(start_epoch.unwrap_or(0));
        h
    }));

    let recipe = recipe(&config.arch, classes)?;
    let select = |dataset: &[usize]| dataset.iter().map(|&i| folder.samples[i].clone()).collect::<Vec<_>>();
    let (train_samples, valid_samples) = (select(&train_idx), select(&valid_idx));
    let batch_size = config.batch_size.unwrap_or_else(|| auto_batch_size(train_samples.len()));
    eprintln!(
        "{} pictures to learn from, {} to validate on; {} at {} px, batches of {batch_size}, on {}",
        train_samples.len(),
        valid_samples.len(),
        config.arch,
        config.size,
        job.device_name()
    );
    let fit = Fit { config, batch_size, workdir: &workdir, history: history.clone(), k, start_epoch };
    let centre = PictureBatcher::validation(preprocessing.clone());
    let augmenting = PictureBatcher::training(preprocessing.clone(), config.augmentation.clone(), config.seed);

    let (network, architecture, outcome) = match recipe {
        Recipe::Scratch(architecture) => {
            let device = job.device.clone().autodiff();
            job.device.seed(config.seed);
            let loader = |batcher: PictureBatcher, samples: Vec<Sample>, shuffle: bool| {
                let builder = DataLoaderBuilder::new(batcher).batch_size(batch_size).num_workers(2);
                let builder = if shuffle { builder.shuffle(config.seed) } else { builder };
                builder.build(InMemDataset::new(samples))
            };
            let train = loader(augmenting, train_samples.clone(), true);
            let valid = loader(centre, valid_samples.clone(), false);
            let (network, outcome) = fit.run(architecture.init(&device), train, valid)?;
            (network, architecture, outcome)
        }
        Recipe::Transfer(_) => {
            let backbone = backbone.expect("loaded above for a transfer recipe");
            let cache = |name: &str, samples: &[Sample], views: usize| -> Result<Vec<Embedding>> {
                let path = workdir.join(format!("embeddings-{name}.bin"));
                if let Some(cached) = transfer::load_cache(&path, samples.len() * views) {
                    return Ok(cached);
                }
                let t = Instant::now();
                let out = transfer::embed(&backbone, samples, views, &centre, &augmenting, config.size, config.seed, &job.device, |d, n| {
                    eprint!("\rembedding {name} pictures {d}/{n}")
                });
                eprintln!(" ({:.1} s)", t.elapsed().as_secs_f64());
                transfer::save_cache(&path, &out)?;
                Ok(out)
            };
            let train_embeddings = cache("train", &train_samples, config.views.max(1))?;
            let valid_embeddings = cache("valid", &valid_samples, 1)?;
            // The page's trainer (crate::teach), run here on the cached embeddings: a run takes
            // seconds, so `--resume` redoes it whole rather than reading a checkpoint.
            let (network, architecture, outcome) = fit_head(backbone, train_embeddings, valid_embeddings, classes, batch_size, config, &fit, job)?;
            (network, architecture, outcome)
        }
    };

    // Bundle: the kept epoch's weights, the tags, the input size and the validation metrics.
    let kept = outcome.kept;
    let labels = Labels { en: folder.tags.clone(), zh: folder.tags.clone() };
    let name = job.name.clone().unwrap_or_else(|| {
        job.out.file_stem().map_or_else(|| "camtag".into(), |s| s.to_string_lossy().into_owned())
    });
    let summary = TrainingSummary {
        recipe: config.arch.clone(),
        input_size: config.size,
        epochs: outcome.epochs_run,
        best_epoch: kept.epoch,
        train_pictures: train_idx.len(),
        valid_pictures: valid_idx.len(),
        valid_loss: kept.valid.loss,
        valid_top1: kept.valid.top1,
        valid_topk: kept.valid.topk,
        k,
        dataset_sha256: run.dataset_sha256.clone(),
    };
    let manifest = Manifest {
        name,
        architecture,
        preprocessing,
        labels,
        source: Source {
            description: format!(
                "trained by camtag {} ({}) on {} pictures of {} tags",
                env!("CARGO_PKG_VERSION"),
                config.arch,
                folder.samples.len(),
                classes
            ),
            file: job.data.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            sha256: run.dataset_sha256.clone(),
            distribution: "your own photos".into(),
            licence: "yours (the photos' licence)".into(),
        },
        accuracy: Some(Accuracy {
            top1: kept.valid.top1,
            top5: kept.valid.topk,
            measured_on: format!("camtag's validation split ({} pictures); top-5 column is top-{k}", valid_idx.len()),
        }),
        training: Some(summary),
        weights: WeightsInfo { format: "burnpack".into(), dtype: job.dtype, bytes: 0, sha256: String::new() },
        written_by: format!("camtag {}", env!("CARGO_PKG_VERSION")),
    };
    manifest.validate()?;
    let bundle = Bundle::new(manifest, weights::encode(&network, job.dtype)?);
    crate::import::write_atomically(&job.out, &bundle.to_bytes()?)?;
    let history = history.lock().unwrap_or_else(|p| p.into_inner()).clone();
    crate::import::write_atomically(&job.curves_path(), curves::render(&history, k).as_bytes())?;
    resume::finish(&workdir);

    Ok(TrainReport {
        bundle: job.out.clone(),
        curves: job.curves_path(),
        pictures_per_tag: folder.counts(),
        tags: folder.tags.clone(),
        train_pictures: train_idx.len(),
        valid_pictures: valid_idx.len(),
        skipped: folder.skipped.iter().map(|s| s.reason.clone()).collect(),
        epochs_run: outcome.epochs_run,
        kept,
        stopped_early: outcome.epochs_run < config.epochs,
        k,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The transfer recipe's head, trained by [`crate::teach`] (the same code as the page's) on the
/// cached embeddings, one printed and recorded line per epoch; the backbone with it in place.
#[allow(clippy::too_many_arguments)]
fn fit_head(
    backbone: Backbone,
    train: Vec<Embedding>,
    valid: Vec<Embedding>,
    classes: usize,
    batch_size: usize,
    config: &TrainConfig,
    fit: &Fit<'_>,
    job: &TrainJob,
) -> Result<(crate::nets::Network, Architecture, Outcome)> {
    let width = backbone.width();
    let examples = |set: Vec<Embedding>| {
        let labels = set.iter().map(|e| e.label).collect();
        let features = set.iter().flat_map(|e| e.features.iter().copied()).collect();
        Examples::new(width, features, labels, classes)
    };
    let teach = TeachConfig {
        epochs: config.epochs,
        batch_size: Some(batch_size),
        learning_rate: config.learning_rate,
        weight_decay: config.weight_decay,
        valid_fraction: config.valid_fraction,
        seed: config.seed,
        patience: config.patience,
        dropout: TeachConfig::new().dropout,
    };
    teach.check()?;
    let mut fitting = Fitting::new(examples(train)?, examples(valid)?, classes, teach);
    let path = fit.workdir.join("history.json");
    fit.history.lock().unwrap_or_else(|p| p.into_inner()).truncate(0);
    while !fitting.done() {
        let record = fitting.epoch();
        eprintln!("{}", history::format_epoch(&record, config.epochs, fit.k));
        let mut history = fit.history.lock().unwrap_or_else(|p| p.into_inner());
        history.epochs.push(record);
        if let Err(e) = history.save(&path) {
            eprintln!("camtag: warning: cannot save the training history: {e}");
        }
    }
    let fitted = fitting.finish();
    eprintln!("kept epoch {} (lowest validation loss {:.3})", fitted.kept.epoch, fitted.kept.valid.loss);
    let (network, architecture) = backbone.with_classifier(crate::teach::bundle::linear(&fitted.head, &job.device))?;
    Ok((network, architecture, Outcome { kept: fitted.kept, epochs_run: fitted.history.len() }))
}

pub use crate::teach::fit::auto_batch_size;

impl TrainJob {
    fn device_name(&self) -> &'static str {
        if self.device == Device::flex() { "the CPU" } else { "the GPU" }
    }
}

fn report_dataset(folder: &ImageFolder) {
    let counts = folder.counts();
    let tags: Vec<String> = folder.tags.iter().zip(&counts).map(|(t, n)| format!("{t} ({n})")).collect();
    eprintln!("{} tags: {}", tags.len(), tags.join(", "));
    if !folder.skipped.is_empty() {
        eprintln!("camtag: warning: skipped {} file(s):", folder.skipped.len());
        for s in folder.skipped.iter().take(10) {
            eprintln!("  {}", s.reason);
        }
        if folder.skipped.len() > 10 {
            eprintln!("  … and {} more", folder.skipped.len() - 10);
        }
    }
    if !folder.loose.is_empty() {
        eprintln!(
            "camtag: warning: ignored {} file(s) directly in {} (put pictures in one sub-folder per tag)",
            folder.loose.len(),
            folder.root.display()
        );
    }
    let (min, max) = (counts.iter().min().copied().unwrap_or(0), counts.iter().max().copied().unwrap_or(0));
    if max >= 4 * min.max(1) {
        eprintln!("camtag: warning: tags are unbalanced ({min} to {max} pictures); the small ones will be recognised less often");
    }
}

/// How a [`Fit`] ended.
struct Outcome {
    kept: EpochRecord,
    epochs_run: usize,
}

/// One run of burn's supervised training over a model, shared by both recipes.
struct Fit<'a> {
    config: &'a TrainConfig,
    batch_size: usize,
    workdir: &'a Path,
    history: Arc<Mutex<History>>,
    k: usize,
    start_epoch: Option<usize>,
}

impl Fit<'_> {
    fn run<M>(
        &self,
        model: M,
        train: Arc<dyn DataLoader<<M as TrainStep>::Input>>,
        valid: Arc<dyn DataLoader<<M as InferenceStep>::Input>>,
    ) -> Result<(M, Outcome)>
    where
        M: LearnerModel + TrainStep<Output = ClassificationOutput> + InferenceStep<Output = ClassificationOutput>,
    {
        let c = self.config;
        let iterations = c.epochs * train.num_items().div_ceil(self.batch_size);
        let scheduler = CosineAnnealingLrSchedulerConfig::new(c.learning_rate, iterations.max(1))
            .init()
            .map_err(|e| anyhow!("learning-rate schedule: {e}"))?;
        let optimizer = AdamWConfig::new().with_weight_decay(c.weight_decay).init();
        let early = MetricEarlyStoppingStrategy::new(
            &LossMetric::new(),
            Aggregate::Mean,
            Direction::Lowest,
            Split::Valid,
            StoppingCondition::NoImprovementSince { n_epochs: c.patience.max(1) },
        );
        let mut training = SupervisedTraining::new(self.workdir, train, valid)
            .metrics((LossMetric::new(), AccuracyMetric::new(), TopKAccuracyMetric::new(self.k)))
            .with_metric_logger(EpochLogger::new(self.workdir, self.history.clone(), c.epochs, self.k))
            .with_default_checkpointers()
            .early_stopping(early)
            .renderer(Box::new(progress::ProgressLine::new()))
            .with_application_logger(None)
            .num_epochs(c.epochs);
        if let Some(epoch) = self.start_epoch {
            eprintln!("resuming after epoch {epoch}");
            training = training.checkpoint(epoch);
        }
        let ctrl_c = interrupt::CtrlC::watch(training.interrupter());
        let result = training.launch(Learner::new(model, optimizer, scheduler));
        drop(ctrl_c);

        let history = self.history.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let epochs_run = history.epochs.last().map_or(0, |e| e.epoch);
        if let Some(error) = result.error {
            bail!("training failed in epoch {}: {error}", epochs_run + 1);
        }
        if let Some(stop) = result.interrupted {
            return Err(Stopped { epoch: epochs_run, reason: stop.reason.unwrap_or_else(|| "interrupted".into()) }.into());
        }
        // Keep the epoch with the lowest validation loss among those still checkpointed (burn
        // keeps the best and the last two).
        let checkpoints = self.workdir.join("checkpoint");
        let kept = history
            .epochs
            .iter()
            .filter(|e| checkpoints.join(format!("model-{}.bpk", e.epoch)).exists())
            .min_by(|a, b| a.valid.loss.total_cmp(&b.valid.loss))
            .copied()
            .ok_or_else(|| anyhow!("no finished epoch to keep (see {})", self.workdir.display()))?;
        let record = ModuleRecord::load(checkpoints.join(format!("model-{}.bpk", kept.epoch)))
            .map_err(|e| anyhow!("reading the checkpoint of epoch {}: {e:?}", kept.epoch))?;
        let model = result.model.load_record(record);
        eprintln!("kept epoch {} (lowest validation loss {:.3})", kept.epoch, kept.valid.loss);
        Ok((model, Outcome { kept, epochs_run }))
    }
}
