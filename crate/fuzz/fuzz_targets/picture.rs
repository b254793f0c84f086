//! Any bytes as a picture: the decoder the CLI and the trainer use, then the one preprocessing
//! path (resize, centre crop, normalize) at an input size taken from the bytes. Also raw RGBA
//! of any declared size, as the page hands it to the wasm module.

#![no_main]

use camtag::preprocess::{ImageView, Preprocessing};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    // Input sizes the classroom offers and odd ones: 32..=543 px.
    let spec = Preprocessing::for_size(32 + u32::from(selector) * 2);
    if selector % 2 == 0 {
        if let Ok(picture) = camtag::data::photo::decode_bytes(rest) {
            let view = ImageView::rgb(&picture.rgb, picture.width, picture.height).expect("decoded pictures are valid views");
            assert_eq!(spec.to_chw(&view).len(), 3 * (spec.crop * spec.crop) as usize);
        }
    } else if rest.len() >= 4 {
        // RGBA with a declared width and height, as `Classifier.classify(rgba, width, height)`.
        let width = u32::from(u16::from_le_bytes([rest[0], rest[1]]));
        let height = u32::from(u16::from_le_bytes([rest[2], rest[3]]));
        if let Ok(view) = ImageView::rgba(&rest[4..], width, height) {
            let chw = spec.to_chw(&view);
            assert!(chw.iter().all(|v| v.is_finite()));
        }
    }
});
