//! `camtag features`: the feature map after a point inside the network, for one picture: what the
//! page's classroom draws, as numbers (the browser test compares the two).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use camtag::preprocess::ImageView;
use clap::Args;

#[derive(Args)]
pub struct FeaturesArgs {
    /// The picture.
    image: PathBuf,
    /// Model bundle [default: $CAMTAG_MODEL, else www/models/mobilenet_v2.camtag].
    #[arg(long)]
    model: Option<PathBuf>,
    /// The point, by name (e.g. blocks.3) or index; without it, list the points.
    #[arg(long)]
    point: Option<String>,
    /// Channels to print.
    #[arg(long, default_value_t = 16)]
    channels: usize,
    /// Where the network runs.
    #[arg(long, value_enum, default_value_t = super::DeviceArg::Auto)]
    device: super::DeviceArg,
}

pub fn run(args: FeaturesArgs) -> Result<ExitCode> {
    let (_, classifier) = super::model::open(args.device, args.model)?;
    let points = classifier.probe_points();
    let Some(point) = args.point else {
        for (i, name) in points.iter().enumerate() {
            println!("{i}\t{name}");
        }
        return Ok(ExitCode::SUCCESS);
    };
    let index = match point.parse::<usize>() {
        Ok(i) => i,
        Err(_) => match points.iter().position(|p| *p == point) {
            Some(i) => i,
            None => bail!("no point {point:?} in this network; `camtag features PICTURE` lists them"),
        },
    };
    let picture = camtag::data::photo::decode(&args.image)?;
    let view = ImageView::rgb(&picture.rgb, picture.width, picture.height).with_context(|| args.image.display().to_string())?;
    let maps = pollster::block_on(classifier.feature_maps(&view, index, args.channels))?;
    println!("{}", serde_json::to_string(&maps)?);
    Ok(ExitCode::SUCCESS)
}
