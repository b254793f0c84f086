//! `camtag import`: a pretrained checkpoint → a bundle file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use camtag::bundle::WeightsDtype;
use camtag::import::{Pretrained, import, write_atomically};
use clap::{Args, ValueEnum};

#[derive(Args)]
pub struct ImportArgs {
    /// The checkpoint, e.g. mobilenet_v2-b0353104.pth or efficientnet-lite0-57934424.pth.
    #[arg(long)]
    pth: PathBuf,
    /// Which pretrained network the checkpoint holds.
    #[arg(long, value_enum, default_value = "mobilenet-v2")]
    arch: Arch,
    /// Where to write the bundle.
    #[arg(long)]
    out: PathBuf,
    /// Store convolution and linear weights in half precision (about half the size).
    #[arg(long, conflicts_with = "int8")]
    f16: bool,
    /// Store convolution and linear weights in 8 bits with a scale per output channel, depthwise
    /// and stem kernels in f16 (about a quarter of the size; see bundle/int8.rs).
    #[arg(long)]
    int8: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Arch {
    MobilenetV2,
    EfficientnetLite0,
}

pub fn run(args: ImportArgs) -> Result<ExitCode> {
    let which = match args.arch {
        Arch::MobilenetV2 => Pretrained::MobileNetV2ImageNet,
        Arch::EfficientnetLite0 => Pretrained::EfficientNetLite0ImageNet,
    };
    let dtype = match (args.f16, args.int8) {
        (true, _) => WeightsDtype::F16,
        (_, true) => WeightsDtype::Int8,
        _ => WeightsDtype::F32,
    };
    let bundle = import(which, &args.pth, dtype)?;
    let bytes = bundle.to_bytes()?;
    write_atomically(&args.out, &bytes)?;
    // A summary, not data: stderr, as train's and eval's (stdout stays for what a script reads).
    eprintln!("{}: {} ({:?} weights, {} bytes)", args.out.display(), bundle.manifest.name, dtype, bytes.len());
    Ok(ExitCode::SUCCESS)
}
