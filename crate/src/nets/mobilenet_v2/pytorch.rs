//! Loading torchvision's MobileNetV2 state dict (`mobilenet_v2-b0353104.pth`) into [`MobileNetV2`].
//!
//! torchvision keeps everything in `features` (a `Sequential`: 0 = stem, 1..=17 = blocks,
//! 18 = head) and `classifier` (1 = the linear layer after dropout). Each block's `conv` is a
//! `Sequential` of `[expand?, depthwise, project conv, project bn]`. burn-store's PyTorch adapter
//! already renames batch-norm `weight`/`bias` to `gamma`/`beta` and transposes linear weights;
//! this file only maps the module paths.

#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

use super::MobileNetV2Config;

/// Regex → replacement pairs from torchvision's key names to this crate's module paths.
pub fn torchvision_key_remapping(config: &MobileNetV2Config) -> Vec<(String, String)> {
    let mut map = vec![
        (r"^features\.0\.0\.".to_string(), "stem.conv.".to_string()),
        (r"^features\.0\.1\.".to_string(), "stem.bn.".to_string()),
        (r"^classifier\.1\.".to_string(), "classifier.".to_string()),
    ];
    let blocks = config.blocks();
    for (i, block) in blocks.iter().enumerate() {
        let f = i + 1; // features index
        let b = format!("blocks.{i}");
        // torchvision's `conv` steps in order; the first block (t = 1) has no expansion.
        let mut steps: Vec<(String, String)> = Vec::new();
        if block.expand_ratio != 1 {
            steps.push(("0.0".into(), format!("{b}.expand.conv")));
            steps.push(("0.1".into(), format!("{b}.expand.bn")));
        }
        let d = usize::from(block.expand_ratio != 1);
        steps.push((format!("{d}.0"), format!("{b}.depthwise.conv")));
        steps.push((format!("{d}.1"), format!("{b}.depthwise.bn")));
        steps.push((format!("{}", d + 1), format!("{b}.project.conv")));
        steps.push((format!("{}", d + 2), format!("{b}.project.bn")));
        for (from, to) in steps {
            map.push((format!(r"^features\.{f}\.conv\.{}\.", from.replace('.', r"\.")), format!("{to}.")));
        }
    }
    let head = blocks.len() + 1;
    map.push((format!(r"^features\.{head}\.0\."), "head.conv.".to_string()));
    map.push((format!(r"^features\.{head}\.1\."), "head.bn.".to_string()));
    map
}

/// Reads a torchvision MobileNetV2 `.pth` into a network on `device`. Every parameter of the
/// network must be found in the file, with the right shape.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_torchvision(
    path: &Path,
    config: &MobileNetV2Config,
    device: &burn::prelude::Device,
) -> crate::error::Result<super::MobileNetV2> {
    crate::nets::pth::load_into(path, torchvision_key_remapping(config), config.init(device))
}
