//! Command-line parsing and dispatch. Each subcommand lives in its own file.

mod cam;
mod classify;
mod eval;
mod features;
mod import;
mod info;
mod model;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// camtag (看图识物): tag pictures with a convolutional network, in Chinese and English.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert pretrained weights (a torchvision .pth) into a camtag model bundle.
    Import(import::ImportArgs),
    /// Print the most probable classes of each picture.
    Classify(classify::ClassifyArgs),
    /// Show what a model bundle holds and its layer table at an input size.
    Info(info::InfoArgs),
    /// Train a network on your own tags (a folder with one sub-folder of photos per tag).
    Train(train::TrainArgs),
    /// Measure a model on a folder of labelled photos: accuracy, precision/recall, confusion.
    Eval(eval::EvalArgs),
    /// The feature map after a layer, for one picture (what the page's classroom draws).
    Features(features::FeaturesArgs),
    /// Where it looks: the class activation map of a picture's top tag (or --tag), as numbers or a PNG.
    Cam(cam::CamArgs),
    /// Print a shell's completion script, e.g. `camtag completions bash > ~/.local/share/bash-completion/completions/camtag`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
}

/// Where the network runs (`--device`), as clap lists it in `--help` and in the error for a wrong
/// value. One policy: every subcommand that runs a model (classify, eval, features, cam) defaults
/// to `auto`; `train` defaults to the CPU, the dependable choice for training these networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    /// A hardware GPU when there is one and it runs the model faster than the CPU on a first
    /// picture (never a software one such as lavapipe), else the CPU.
    Auto,
    /// camtag's CPU kernels and burn's CPU backend.
    Cpu,
    /// The GPU through wgpu (Vulkan, Metal, DX12), whatever it is.
    #[value(alias = "gpu", alias = "webgpu")]
    Wgpu,
}

impl From<DeviceArg> for camtag::BackendChoice {
    fn from(device: DeviceArg) -> Self {
        match device {
            DeviceArg::Auto => Self::Auto,
            DeviceArg::Cpu => Self::Cpu,
            DeviceArg::Wgpu => Self::Gpu,
        }
    }
}

/// Where `build.sh` writes the default model; the CLI looks there when `--model` is absent.
pub const DEFAULT_MODEL: &str = "www/models/mobilenet_v2.camtag";

/// `$CAMTAG_MODEL`; else [`DEFAULT_MODEL`] under the current folder; else under a folder above
/// the binary (`target/release/camtag` run from anywhere finds the checkout's model); else the
/// first, whose absence the caller reports with how to make it.
pub fn default_model() -> PathBuf {
    if let Some(path) = std::env::var_os("CAMTAG_MODEL") {
        return PathBuf::from(path);
    }
    let here = PathBuf::from(DEFAULT_MODEL);
    if here.exists() {
        return here;
    }
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().skip(1).map(|dir| dir.join(DEFAULT_MODEL)).find(|p| p.exists()));
    beside_binary.unwrap_or(here)
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Import(args) => import::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Info(args) => info::run(args),
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Features(args) => features::run(args),
        Command::Cam(args) => cam::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "camtag", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("camtag: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
