//! Any bytes as a model bundle: parsing the header and manifest, checking the checksum, building
//! the network the manifest names and loading the weights must end in `Ok` or a `CamtagError`,
//! never a panic or an unbounded allocation. A bundle that loads must then classify a picture
//! (or say why not: NaN scores are an error too).

#![no_main]

use burn::prelude::Device;
use camtag::Classifier;
use camtag::preprocess::ImageView;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let device = Device::flex();
    if let Ok(classifier) = Classifier::from_bytes(data, &device) {
        let rgb: Vec<u8> = (0..24 * 16 * 3).map(|i| (i * 31 % 256) as u8).collect();
        let view = ImageView::rgb(&rgb, 24, 16).expect("a valid picture");
        let _ = pollster::block_on(classifier.classify(&view, 5));
    }
});
