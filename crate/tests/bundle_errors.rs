//! A damaged or foreign bundle is an error with a clear message, never a panic.

mod common;

use burn::module::Param;
use burn::prelude::{Device, Tensor};
use camtag::bundle::{FORMAT_VERSION, WeightsDtype, weights};
use camtag::nets::Network;
use camtag::preprocess::ImageView;
use camtag::{Bundle, CamtagError, Classifier};
use common::*;

fn load(bytes: &[u8]) -> Result<Classifier, CamtagError> {
    Classifier::from_bytes(bytes, &Device::flex())
}

fn good() -> Vec<u8> {
    bundle(WeightsDtype::F32).to_bytes().unwrap()
}

/// The class `classifier` ranks first for the coffee photo (967, espresso, for MobileNetV2).
fn top1_of_coffee(classifier: &Classifier) -> usize {
    let (rgb, w, h) = photo_rgb("coffee");
    pollster::block_on(classifier.classify(&ImageView::rgb(&rgb, w, h).unwrap(), 1)).unwrap()[0].index
}

fn manifest_end(bytes: &[u8]) -> usize {
    16 + u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize
}

#[test]
fn empty_and_foreign_files() {
    assert!(matches!(load(&[]), Err(CamtagError::NotABundle(m)) if m.contains("empty")));
    let png = std::fs::read(fixture("photos/chelsea.png")).unwrap();
    let err = load(&png).unwrap_err().to_string();
    assert!(err.contains("picture, not a model"), "{err}");
    let pth = std::fs::read(fixture("weights/mobilenet_v2-b0353104.pth")).unwrap();
    assert!(matches!(load(&pth), Err(CamtagError::NotABundle(_))));
}

#[test]
fn truncated_anywhere() {
    let bytes = good();
    let end = manifest_end(&bytes);
    for cut in [4, 12, 15, 200, end - 1, end, end + 100, bytes.len() / 2, bytes.len() - 1] {
        let err = load(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(err, CamtagError::NotABundle(_) | CamtagError::Truncated(_)),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn other_format_version() {
    let mut bytes = good();
    bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = load(&bytes).unwrap_err();
    assert!(matches!(err, CamtagError::UnsupportedVersion { found, .. } if found == FORMAT_VERSION + 1), "{err}");
}

#[test]
fn flipped_weight_byte_fails_the_checksum() {
    let mut bytes = good();
    let last = bytes.len() - 1000;
    bytes[last] ^= 0x40;
    assert!(matches!(load(&bytes), Err(CamtagError::ChecksumMismatch { .. })));
}

#[test]
fn manifest_that_disagrees_with_itself() {
    let mut bundle = bundle(WeightsDtype::F32).clone();
    bundle.manifest.labels.zh.pop();
    let err = load(&bundle.to_bytes().unwrap()).unwrap_err().to_string();
    assert!(err.contains("1000 English labels but 999 Chinese"), "{err}");

    let mut bundle = self::bundle(WeightsDtype::F32).clone();
    let camtag::nets::Architecture::MobilenetV2(config) = &mut bundle.manifest.architecture else {
        panic!("the imported bundle is a MobileNetV2")
    };
    config.num_classes = 10;
    let err = load(&bundle.to_bytes().unwrap()).unwrap_err().to_string();
    assert!(err.contains("10 outputs but the manifest has 1000 labels"), "{err}");
}

#[test]
fn weights_of_another_shape() {
    // A valid, checksummed bundle whose weights are for a narrower network.
    let mut bundle = bundle(WeightsDtype::F32).clone();
    let camtag::nets::Architecture::MobilenetV2(config) = &mut bundle.manifest.architecture else {
        panic!("the imported bundle is a MobileNetV2")
    };
    config.width_mult = 0.5;
    let bundle = Bundle::new(bundle.manifest, bundle.weights);
    let err = load(&bundle.to_bytes().unwrap()).unwrap_err();
    assert!(matches!(err, CamtagError::Weights(_)), "{err}");
}

#[test]
fn weights_that_are_not_burnpack() {
    // Junk as long as the real weights, with its checksum right: the file is whole, but its
    // weights are no burnpack at all, which is what the message must say (not a misfit with the
    // architecture, the message of `weights_of_another_shape`).
    let good = bundle(WeightsDtype::F32);
    let junk = vec![7u8; good.weights.len()];
    let err = load(&Bundle::new(good.manifest.clone(), junk).to_bytes().unwrap()).unwrap_err();
    assert!(matches!(err, CamtagError::NotBurnpack(_)), "{err}");
    let message = err.to_string();
    assert!(message.contains("not in burnpack format"), "{message}");
    assert!(!message.contains("do not fit the architecture"), "{message}");
}

#[test]
fn garbage_manifest_json() {
    let mut bytes = good();
    bytes[16] = b'#';
    assert!(matches!(load(&bytes), Err(CamtagError::Manifest(_))));
}

#[test]
fn manifest_that_misstates_the_weights_dtype_still_computes_in_f32() {
    let mut bundle = bundle(WeightsDtype::F32).clone();
    bundle.manifest.weights.dtype = WeightsDtype::F16; // the weights are really f32
    assert_eq!(top1_of_coffee(&load(&bundle.to_bytes().unwrap()).unwrap()), 967);
}

#[test]
fn nan_weights_are_an_error_not_a_ranking() {
    let original = bundle(WeightsDtype::F32);
    let device = Device::flex();
    let Network::MobilenetV2(mut net) = weights::decode(&original.manifest.architecture, original.weights.clone(), &device).unwrap() else {
        panic!("the imported bundle is a MobileNetV2")
    };
    net.classifier.bias = Some(Param::from_tensor(Tensor::<1>::full([1000], f32::NAN, &device)));
    let bytes = weights::encode(&Network::MobilenetV2(net), WeightsDtype::F32).unwrap();
    let damaged = Bundle::new(original.manifest.clone(), bytes).to_bytes().unwrap();
    let classifier = load(&damaged).unwrap();
    let (rgb, w, h) = photo_rgb("chelsea");
    let err = pollster::block_on(classifier.classify(&ImageView::rgb(&rgb, w, h).unwrap(), 5)).unwrap_err();
    assert!(err.to_string().contains("not numbers"), "{err}");
}

#[test]
fn manifest_naming_a_network_too_big_to_build() {
    // Building a network allocates all of it before the weights are read: a crafted manifest
    // must not make camtag allocate gigabytes (or abort the page's wasm module).
    let mut bundle = bundle(WeightsDtype::F32).clone();
    bundle.manifest.architecture = camtag::nets::Architecture::Vgg(camtag::nets::vgg::VggConfig {
        num_classes: 1000,
        depths: vec![64; 6],
        widths: vec![4096; 6],
        batch_norm: true,
        fc: None,
    });
    let err = load(&bundle.to_bytes().unwrap()).unwrap_err().to_string();
    assert!(err.contains("values but the weights are only 14196128 bytes"), "{err}");

    let mut bundle = self::bundle(WeightsDtype::F32).clone();
    bundle.manifest.architecture = camtag::nets::Architecture::Vgg(camtag::nets::vgg::VggConfig {
        num_classes: 1000,
        depths: vec![1_000_000_000],
        widths: vec![64],
        batch_norm: true,
        fc: None,
    });
    let err = load(&bundle.to_bytes().unwrap()).unwrap_err().to_string();
    assert!(err.contains("a stage of 1000000000 VGG layers"), "{err}");

    // VGG as published at a size its fully connected head cannot take: refused from the manifest,
    // before anything is allocated.
    let mut bundle = self::bundle(WeightsDtype::F32).clone();
    bundle.manifest.architecture = camtag::nets::Architecture::Vgg(camtag::nets::vgg::VggConfig::vgg16(1000));
    bundle.manifest.preprocessing = camtag::preprocess::Preprocessing::for_size(320);
    let err = load(&bundle.to_bytes().unwrap()).unwrap_err().to_string();
    assert!(err.contains("224 x 224 pictures only"), "{err}");

    let mut bundle = self::bundle(WeightsDtype::F32).clone();
    let camtag::nets::Architecture::MobilenetV2(config) = &mut bundle.manifest.architecture else {
        panic!("the imported bundle is a MobileNetV2")
    };
    config.width_mult = 1000.0;
    let err = load(&bundle.to_bytes().unwrap()).unwrap_err().to_string();
    assert!(err.contains("width multiplier 1000"), "{err}");
}

#[test]
fn unknown_weights_format_is_named() {
    let mut manifest = bundle(WeightsDtype::F16).manifest.clone();
    manifest.weights.format = "burnpack-shuffle3".into();
    // Bundle::to_bytes cannot shuffle in planes of an unknown width either: the header by hand.
    let json = serde_json::to_vec(&manifest).unwrap();
    let mut file = camtag::bundle::MAGIC.to_vec();
    file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    file.extend_from_slice(&(json.len() as u32).to_le_bytes());
    file.extend_from_slice(&json);
    let err = load(&file).unwrap_err();
    assert!(matches!(&err, CamtagError::Manifest(m) if m.contains("\"burnpack-shuffle3\"") && m.contains("burnpack-shuffle2")), "{err}");
    let weights = bundle(WeightsDtype::F16).weights.clone();
    assert!(Bundle { manifest, weights }.to_bytes().is_err());
}

#[test]
fn weights_stored_unshuffled_still_load() {
    // Bundles written before the byte shuffle (format "burnpack") tag as they did.
    let mut old = bundle(WeightsDtype::F16).clone();
    old.manifest.weights.format = "burnpack".into();
    old.manifest.weights.sha256 = camtag::bundle::sha256_hex(&old.weights);
    let bytes = old.to_bytes().unwrap();
    assert_eq!(&bytes[bytes.len() - old.weights.len()..], old.weights.as_slice(), "stored as burnpack is");
    assert_eq!(top1_of_coffee(&load(&bytes).unwrap()), 967);
}

#[test]
fn f16_weights_are_stored_in_two_byte_planes() {
    let bundle = bundle(WeightsDtype::F16);
    assert_eq!(bundle.manifest.weights.format, "burnpack-shuffle2");
    let bytes = bundle.to_bytes().unwrap();
    let stored = &bytes[manifest_end(&bytes)..];
    assert_eq!(stored, camtag::bundle::shuffle::shuffle(&bundle.weights, 2).as_slice());
    assert_ne!(stored, bundle.weights.as_slice());
    assert_eq!(Bundle::from_bytes(&bytes).unwrap().weights, bundle.weights);
}

#[test]
fn int8_weights_are_one_byte_a_value_and_tag() {
    let bundle = bundle(WeightsDtype::Int8);
    // Mostly single bytes: not shuffled.
    assert_eq!(bundle.manifest.weights.format, "burnpack");
    let bytes = bundle.to_bytes().unwrap();
    let values = bundle.manifest.architecture.stored_values() as usize;
    assert!(bytes.len() < values + values / 5, "{} bytes for {values} values", bytes.len());
    assert_eq!(top1_of_coffee(&load(&bytes).unwrap()), 967);
}

#[test]
fn damaged_int8_weight_is_an_error() {
    // A stored 8-bit weight one byte short, written the way encode writes them: the load fails
    // naming the tensor, instead of leaving that layer with its initial random values.
    use burn::store::{BurnpackStore, HalfPrecisionAdapter, ModuleAdapter, ModuleContext, ModuleSnapshot, bridge};
    use burn::store::burn_pack::Tensor as PackTensor;
    use burn::tensor::TensorData;
    use camtag::bundle::int8::QuantizeAdapter;

    #[derive(Clone)]
    struct CutLastByte;
    impl ModuleAdapter for CutLastByte {
        fn adapt(&self, tensor: PackTensor, _ctx: ModuleContext<'_>) -> PackTensor {
            if tensor.dtype != burn::tensor::DType::I8 || tensor.name != "MobilenetV2.classifier.weight" {
                return tensor;
            }
            let n = tensor.shape[0] - 1;
            let name = tensor.name.clone();
            bridge::map_data(tensor, name, burn::tensor::DType::I8, [n].into(), move |data| {
                TensorData::from_bytes_vec(data.as_bytes()[..n].to_vec(), [n], burn::tensor::DType::I8)
            })
        }
        fn clone_box(&self) -> Box<dyn ModuleAdapter> {
            Box::new(self.clone())
        }
    }

    let good = bundle(WeightsDtype::Int8);
    let network = weights::decode(&good.manifest.architecture, good.weights.clone(), &Device::flex()).unwrap();
    let mut store = BurnpackStore::from_bytes(None)
        .with_to_adapter(QuantizeAdapter.chain(HalfPrecisionAdapter::new()).chain(CutLastByte));
    network.save_into(&mut store).unwrap();
    let weights = store.get_bytes().unwrap().to_vec();
    let err = weights::decode(&good.manifest.architecture, weights.clone(), &Device::flex()).unwrap_err().to_string();
    assert!(err.contains("classifier.weight") && err.contains("bytes, but"), "{err}");
    // The same through a whole bundle.
    let err = load(&Bundle::new(good.manifest.clone(), weights).to_bytes().unwrap()).unwrap_err().to_string();
    assert!(err.contains("classifier.weight"), "{err}");
}
