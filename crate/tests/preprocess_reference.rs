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

/// `tests/reference/resize_shapes.py`'s list: the shapes and Pillow's resized size of each.
#[derive(serde::Deserialize)]
struct Shapes {
    pillow: String,
    shapes: Vec<Shape>,
}

#[derive(serde::Deserialize)]
struct Shape {
    width: usize,
    height: usize,
    resized_hw: [usize; 2],
}

/// Synthetic pictures of many shapes (portrait and landscape up to 1:4, 4000x3000, enlargements,
/// odd sizes), resized by Pillow: every byte the same, and the network's input the same as the
/// crop of Pillow's bytes. Pillow 13 resizes pictures that lose more than twice as many rows as
/// columns down the columns first, which rounds differently (300x660 and the phones' shapes).
#[test]
fn resize_is_pillow_bilinear_bit_for_bit_at_every_shape() {
    let spec = Preprocessing::imagenet();
    let shapes: Shapes = serde_json::from_slice(&std::fs::read(fixture("golden/shapes/shapes.json")).unwrap()).unwrap();
    assert!(shapes.pillow.starts_with("13."), "the reference's Pillow is {}: the pass order is Pillow 13's", shapes.pillow);
    let mut portrait_taller_than_2_to_1 = 0;
    for Shape { width: w, height: h, resized_hw } in &shapes.shapes {
        let (w, h) = (*w, *h);
        let rgb = std::fs::read(fixture(&format!("golden/shapes/{w}x{h}.input.u8"))).unwrap();
        let view = ImageView::rgb(&rgb, w as u32, h as u32).unwrap();
        let (rw, rh) = spec.resized_size(w, h);
        assert_eq!([rh, rw], *resized_hw, "{w}x{h}: resized size");
        let theirs = std::fs::read(fixture(&format!("golden/shapes/{w}x{h}.resized.u8"))).unwrap();
        let ours = resize(&view, rw, rh);
        let differing = ours.iter().zip(&theirs).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{w}x{h} → {rw}x{rh}: {differing} of {} bytes differ from Pillow", ours.len());
        // The network's input: the centre crop of Pillow's bytes, normalized (to_chw resizes
        // only the crop, in bands).
        let crop = spec.crop_window(rw, rh);
        let input = spec.to_chw(&view);
        let c = spec.crop as usize;
        for (i, &x) in input.iter().enumerate() {
            let (channel, y, col) = (i / (c * c), i / c % c, i % c);
            let byte = theirs[((crop.top + y) * rw + crop.left + col) * 3 + channel];
            let expected = (f32::from(byte) / 255.0 - spec.mean[channel]) / spec.std[channel];
            assert!((x - expected).abs() < 1e-6, "{w}x{h}: input value {i} is {x}, Pillow's crop gives {expected}");
        }
        portrait_taller_than_2_to_1 += usize::from(h > 2 * w);
    }
    assert!(portrait_taller_than_2_to_1 >= 5, "the list keeps the shapes Pillow resizes down the columns first");
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

/// A photo stored in each of EXIF's eight orientations (`tests/reference/orientations.py`):
/// camtag's decoder turns each upright, as Pillow's `exif_transpose` and the page's
/// `createImageBitmap` do. Orientations 5 to 8 are stored sideways (their stored size is the
/// upright one turned), 2 to 4 mirrored or upside down: without the turn, the sizes or the
/// pixels differ.
#[test]
fn exif_orientation_is_applied_as_pillow_applies_it() {
    #[derive(serde::Deserialize)]
    struct Orientations {
        upright_hw: [u32; 2],
    }
    let dir = "photos/orientation";
    let meta: Orientations = serde_json::from_slice(&std::fs::read(fixture(&format!("{dir}/orientations.json"))).unwrap()).unwrap();
    let [h, w] = meta.upright_hw;
    for n in 1..=8 {
        let path = fixture(&format!("{dir}/orientation-{n}.jpg"));
        let stored = image::image_dimensions(&path).unwrap();
        assert_eq!(stored == (w, h), n <= 4, "orientation {n}: stored {stored:?}, upright {w}x{h}");
        let ours = camtag::data::photo::decode(&path).unwrap();
        assert_eq!((ours.width, ours.height), (w, h), "orientation {n}: decoded upright");
        let theirs = std::fs::read(fixture(&format!("{dir}/orientation-{n}.upright.u8"))).unwrap();
        // JPEG decoders round the IDCT and chroma upsampling differently by a level or so; a
        // picture left mirrored or turned differs by tens of levels.
        let mean = ours.rgb.iter().zip(&theirs).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>() / theirs.len() as f64;
        assert!(mean < 1.0, "orientation {n}: mean difference {mean} levels from Pillow's upright decode");
    }
}
