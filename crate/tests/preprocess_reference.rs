//! The Rust preprocessing against torchvision's, computed by Pillow + numpy in
//! `tests/reference/preprocess.py` on the same decoded photos.

mod common;

use camtag::preprocess::{ImageView, Preprocessing, resize};
use common::*;

#[test]
fn resize_is_pillow_bilinear_bit_for_bit() {
    let spec = Preprocessing::imagenet();
    for name in PHOTOS {
        let (rgb, w, h) = photo_rgb(name);
        let view = ImageView::rgb(&rgb, w, h).unwrap();
        let (rw, rh) = spec.resized_size(w as usize, h as usize);
        assert_eq!([rh, rw], golden().photos[name].resized_hw, "{name}: resized size");
        let ours = resize(&view, rw, rh);
        let theirs = std::fs::read(fixture(&format!("golden/{name}.resized.u8"))).unwrap();
        assert_eq!(ours.len(), theirs.len(), "{name}");
        let differing = ours.iter().zip(&theirs).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{name}: {differing} of {} bytes differ from Pillow", ours.len());
    }
}

#[test]
fn network_input_matches_torchvision_transform() {
    let spec = Preprocessing::imagenet();
    for name in PHOTOS {
        let (rgb, w, h) = photo_rgb(name);
        let ours = spec.to_chw(&ImageView::rgb(&rgb, w, h).unwrap());
        let theirs = read_f32(&fixture(&format!("golden/{name}.input.f32")));
        assert_eq!(ours.len(), 3 * 224 * 224);
        let max = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        // The reference rounds once from f64; torchvision (and camtag) compute in f32: 1 ulp.
        assert!(max < 1e-6, "{name}: max difference {max}");
    }
}

#[test]
fn rgba_and_rgb_give_the_same_input() {
    let spec = Preprocessing::imagenet();
    let (rgb, w, h) = photo_rgb("chelsea");
    let rgba: Vec<u8> = rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 7]).collect();
    let a = spec.to_chw(&ImageView::rgb(&rgb, w, h).unwrap());
    let b = spec.to_chw(&ImageView::rgba(&rgba, w, h).unwrap());
    assert_eq!(a, b);
}

#[test]
fn camtag_decodes_photos_as_pillow_does() {
    for name in PHOTOS {
        let (ours, w, h) = photo_rgb_decoded_by_camtag(name);
        let (theirs, tw, th) = photo_rgb(name);
        assert_eq!((w, h), (tw, th), "{name}");
        let max = ours.iter().zip(&theirs).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        let mean = ours.iter().zip(&theirs).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>() / ours.len() as f64;
        if golden().photos[name].file.ends_with(".png") {
            assert_eq!(max, 0, "{name}: PNG decoding is lossless");
        } else {
            // JPEG: decoders may round the IDCT and chroma upsampling differently.
            assert!(mean < 1.0, "{name}: mean difference {mean} levels from Pillow (max {max})");
        }
    }
}
