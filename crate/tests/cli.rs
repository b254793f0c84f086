//! The `camtag` binary: the same top-5 as the library, and errors that name the file and the
//! problem, with a non-zero exit status and no panic.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use burn::prelude::Device;
use camtag::bundle::WeightsDtype;
use camtag::preprocess::ImageView;
use camtag::{Bundle, Classifier};
use common::*;

fn camtag(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camtag")).args(args).output().expect("run camtag")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("camtag-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bundle file written by `camtag import` itself.
fn model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let out = scratch().join("mobilenet_v2.camtag");
        let pth = fixture("weights/mobilenet_v2-b0353104.pth");
        let run = camtag(&["import", "--pth", pth.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(run.status.success(), "{}", stderr(&run));
        out
    })
}

#[test]
fn import_writes_the_same_model_as_the_library() {
    // Byte equality is too strict: burnpack records a random parameter id per tensor.
    let written = Bundle::from_bytes(&std::fs::read(model()).unwrap()).unwrap();
    let library = bundle(WeightsDtype::F32);
    let mut manifest = written.manifest.clone();
    manifest.weights.sha256.clone_from(&library.manifest.weights.sha256);
    assert_eq!(manifest, library.manifest);
    let device = Device::flex();
    let (a, b) = (Classifier::new(written, &device).unwrap(), Classifier::new(library.clone(), &device).unwrap());
    let (rgb, w, h) = photo_rgb("chelsea");
    let view = ImageView::rgb(&rgb, w, h).unwrap();
    assert_eq!(pollster::block_on(a.logits(&view)).unwrap(), pollster::block_on(b.logits(&view)).unwrap());
}

#[test]
fn classify_json_gives_the_top5() {
    let photo = fixture("photos/coffee.png");
    let out = camtag(&["classify", photo.to_str().unwrap(), "--model", model().to_str().unwrap(), "--json", "--device", "cpu"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let predictions = json[0]["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 5);
    assert_eq!(predictions[0]["index"], 967);
    assert_eq!(predictions[0]["en"], "espresso");
    assert_eq!(predictions[0]["zh"], "意式浓缩咖啡");
    let reference = golden().photos["coffee"].top5[0].prob;
    assert!((predictions[0]["prob"].as_f64().unwrap() - reference).abs() < 1e-3);
}

#[test]
fn bad_pictures_are_named_and_the_rest_still_run() {
    let dir = scratch();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a picture").unwrap();
    let broken = dir.join("broken.png");
    let png = std::fs::read(fixture("photos/chelsea.png")).unwrap();
    std::fs::write(&broken, &png[..png.len() / 3]).unwrap();
    let empty = dir.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    // A JPEG cut after its first 5,000 bytes: its header whole, most of its scan missing.
    let cut = dir.join("cut.jpg");
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::open(fixture("photos/chelsea.png")).unwrap().write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    std::fs::write(&cut, &jpeg.get_ref()[..5000]).unwrap();
    let good = fixture("photos/chelsea.png");
    let out = camtag(&[
        "classify", "missing.jpg", text.to_str().unwrap(), broken.to_str().unwrap(), empty.to_str().unwrap(), cut.to_str().unwrap(),
        good.to_str().unwrap(), "--model", model().to_str().unwrap(), "--device", "cpu",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    for (file, problem) in [
        ("missing.jpg", "cannot open"),
        ("notes.txt", "not a picture"),
        ("broken.png", "truncated"),
        ("empty.jpg", "the file is empty"),
        ("cut.jpg", "truncated"),
    ] {
        assert!(err.lines().any(|l| l.contains(file) && l.contains(problem)), "no '{problem}' for {file} in:\n{err}");
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("chelsea.png"), "the good picture is still classified");

    // Options out of range are usage errors (status 2), said before any work.
    for (option, value) in [("--top", "0"), ("--size", "8"), ("--size", "5000")] {
        let out = camtag(&["classify", good.to_str().unwrap(), "--model", model().to_str().unwrap(), option, value]);
        assert_eq!(out.status.code(), Some(2), "{option} {value}: {}", stderr(&out));
        assert!(stderr(&out).contains(option), "{option} {value}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn bad_models_are_named() {
    let photo = fixture("photos/chelsea.png");
    let out = camtag(&["classify", photo.to_str().unwrap(), "--model", "nowhere.camtag"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nowhere.camtag: cannot read the model bundle"), "{}", stderr(&out));

    let foreign = photo.to_str().unwrap();
    let out = camtag(&["classify", foreign, "--model", foreign]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("chelsea.png: not a camtag model bundle"), "{}", stderr(&out));

    let out = camtag(&["import", "--pth", foreign, "--out", scratch().join("x.camtag").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not that of mobilenet_v2-b0353104.pth"), "{}", stderr(&out));
}

#[test]
fn info_gives_the_layer_table_at_any_size() {
    let out = camtag(&["info", "--model", model().to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["size"], 224);
    assert_eq!(json["params"], 3_504_872);
    // What the bundle asks of its input (bench/ reads it to feed onnxruntime the same floats).
    assert_eq!(json["preprocessing"]["crop"], 224);
    let mean: Vec<f64> = serde_json::from_value(json["preprocessing"]["mean"].clone()).unwrap();
    assert!(mean.iter().zip([0.485, 0.456, 0.406]).all(|(a, b)| (a - b).abs() < 1e-6), "{mean:?}");
    let layers = json["summary"]["layers"].as_array().unwrap();
    let head = layers.iter().find(|l| l["name"] == "head").unwrap();
    assert_eq!(head["output"], serde_json::json!([1280, 7, 7]));

    let out = camtag(&["info", "--model", model().to_str().unwrap(), "--size", "320"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("MobileNetV2 at 320x320"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("head") && l.contains("1280x10x10")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("total") && l.contains("3,504,872")), "{text}");

    let out = camtag(&["info", "--model", model().to_str().unwrap(), "--size", "8"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--size 8"), "{}", stderr(&out));
}

#[test]
fn info_by_architecture_shows_the_googlenet_stem() {
    let out = camtag(&["info", "--arch", "googlenet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for (layer, shape) in [("conv1", "64x112x112"), ("pool1", "64x56x56"), ("conv3", "192x56x56"), ("pool2", "192x28x28")] {
        assert!(text.lines().any(|l| l.starts_with(layer) && l.contains(shape)), "{layer} {shape} in\n{text}");
    }
    assert!(text.contains("inception3a.branch3_reduce") && text.contains("1x1 reduce"), "{text}");
    let out = camtag(&["info", "--arch", "alexnet"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown architecture \"alexnet\""), "{}", stderr(&out));
}

#[test]
fn unknown_device_is_explained() {
    let photo = fixture("photos/chelsea.png");
    let out = camtag(&["classify", photo.to_str().unwrap(), "--model", model().to_str().unwrap(), "--device", "tpu"]);
    // clap's usage error (status 2) names the value and lists the right ones.
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("'tpu'") && err.contains("[possible values: auto, cpu, wgpu]"), "{err}");
    // One policy: what runs a model defaults to auto, training to the CPU; --help says which.
    for (subcommand, default) in [("classify", "auto"), ("eval", "auto"), ("features", "auto"), ("cam", "auto"), ("train", "cpu")] {
        let help = camtag(&[subcommand, "--help"]);
        let help = String::from_utf8_lossy(&help.stdout).into_owned();
        assert!(["- auto:", "- cpu:", "- wgpu:"].iter().all(|s| help.contains(s)), "{subcommand} --help lists the devices:\n{help}");
        assert!(help.contains(&format!("[default: {default}]")), "{subcommand} defaults to {default}:\n{help}");
    }
}

#[test]
fn any_input_size_works_and_its_own_size_is_the_default() {
    let photo = fixture("photos/chelsea.png");
    let top = |extra: &[&str]| -> Vec<u64> {
        let mut args = vec!["classify", photo.to_str().unwrap(), "--model", model().to_str().unwrap(), "--json", "--device", "cpu"];
        args.extend_from_slice(extra);
        let out = camtag(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report[0]["predictions"].as_array().unwrap().iter().map(|p| p["index"].as_u64().unwrap()).collect()
    };
    let default = top(&[]);
    assert_eq!(top(&["--size", "224"]), default, "224 is MobileNetV2's own size");
    for size in ["160", "320"] {
        let other = top(&["--size", size]);
        assert!([281, 282, 285].contains(&other[0]), "{size} px: still a cat, got {other:?}");
    }
    let out = camtag(&["classify", photo.to_str().unwrap(), "--model", model().to_str().unwrap(), "--size", "8"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(stderr(&out).contains("8 is not in 32..=1024"), "{}", stderr(&out));
}

#[test]
fn a_full_disk_leaves_the_previous_bundle_intact() {
    let dir = scratch().join("full-disk");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("model.camtag");
    std::fs::copy(model(), &out).unwrap();
    let before = std::fs::read(&out).unwrap();
    // The disk "fills up" after 1 MiB: with RLIMIT_FSIZE every write past it fails (EFBIG) just
    // as it would with ENOSPC, without needing a small filesystem (SIGXFSZ is ignored, so the
    // write returns the error instead of killing the process).
    let pth = fixture("weights/mobilenet_v2-b0353104.pth");
    let run = Command::new("bash")
        .args(["-c", r#"trap '' XFSZ; ulimit -f 1024; exec "$0" "$@""#, env!("CARGO_BIN_EXE_camtag")])
        .args(["import", "--pth", pth.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains(out.to_str().unwrap()) && err.contains("File too large"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), before, "the previous bundle is untouched");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("model.camtag")], "no half-written temporary file is left");
}

/// `camtag cam`: the map's mean plus the bias is the class's logit (the identity that makes a
/// class activation map exact), the same logit `classify` gives; `--tag` by name or index picks
/// the same map; the PNG is the crop's size; a tag that does not exist is named.
#[test]
fn cam_maps_add_up_to_the_logit_and_name_a_missing_tag() {
    let model = model().to_str().unwrap();
    let photo = fixture("photos/chelsea.png");
    let photo = photo.to_str().unwrap();
    let json = |args: &[&str]| -> serde_json::Value {
        let run = camtag(&[&["cam", photo, "--model", model, "--json"], args].concat());
        assert!(run.status.success(), "{}", stderr(&run));
        serde_json::from_slice(&run.stdout).unwrap()
    };
    let top = json(&[]);
    let map = &top["map"];
    let values: Vec<f64> = map["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(map["shape"], serde_json::json!([7, 7]));
    assert_eq!(values.len(), 49);
    let mean = values.iter().sum::<f64>() / 49.0;
    let (logit, bias) = (map["logit"].as_f64().unwrap(), map["bias"].as_f64().unwrap());
    assert!((bias + mean - logit).abs() < 1e-3 * logit.abs().max(1.0), "bias {bias} + mean {mean} vs logit {logit}");
    assert_eq!(map["index"], top["predictions"][0]["index"], "the top tag's map by default");
    let classify = camtag(&["classify", photo, "--model", model, "--json", "--device", "cpu"]);
    let classify: serde_json::Value = serde_json::from_slice(&classify.stdout).unwrap();
    assert!((classify[0]["predictions"][0]["logit"].as_f64().unwrap() - logit).abs() < 1e-4, "the same pass as classify");
    // The map varies over the picture: it is not the pooled score spread evenly.
    let (min, max) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    assert!(max - min > 1.0, "{min}..{max}");

    let second = top["predictions"][1]["index"].as_u64().unwrap().to_string();
    let by_index = json(&["--tag", &second]);
    let by_name = json(&["--tag", top["predictions"][1]["en"].as_str().unwrap()]);
    assert_eq!(by_index["map"], by_name["map"]);
    assert_ne!(by_index["map"]["values"], map["values"]);

    let png = scratch().join("cam.png");
    let run = camtag(&["cam", photo, "--model", model, "--out", png.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(image::image_dimensions(&png).unwrap(), (224, 224));

    for (tag, says) in [("1000", "tag 1000 does not exist"), ("天气", "no tag \"天气\"")] {
        let run = camtag(&["cam", photo, "--model", model, "--tag", tag]);
        assert!(!run.status.success() && stderr(&run).contains(says), "{tag}: {}", stderr(&run));
    }
}

/// Runs a copy of the binary just written. Another test's child, forked while the copy's file
/// was still open for writing, holds it open a moment: exec then fails with ETXTBSY ("text file
/// busy"), so that one error is retried.
fn output_of_copy(command: &mut Command) -> Output {
    for _ in 0..100 {
        match command.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => std::thread::sleep(std::time::Duration::from_millis(20)),
            other => return other.unwrap(),
        }
    }
    panic!("the copied binary stayed busy for 2 s");
}

/// One set of conventions: `--format jsonl` streams a line per picture (a bad one is an error on
/// stderr, the others still print), `--json` is `--format json`, a wrong value lists the right
/// ones, `eval` writes no file unasked, `import` keeps stdout for data, and the default model is
/// found beside the binary from any folder (or its absence said with the way out).
#[test]
fn cli_conventions_formats_files_and_the_default_model() {
    let model = model().to_str().unwrap();
    let chelsea = fixture("photos/chelsea.png");
    let coffee = fixture("photos/coffee.png");
    let missing = scratch().join("no-such-picture.png");
    let (chelsea, coffee, missing) = (chelsea.to_str().unwrap(), coffee.to_str().unwrap(), missing.to_str().unwrap());
    let out = camtag(&["classify", chelsea, missing, coffee, "--model", model, "--format", "jsonl", "--device", "cpu"]);
    assert!(!out.status.success(), "one picture failed");
    assert!(stderr(&out).contains("no-such-picture.png"), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "a line per picture classified");
    assert_eq!(lines[0]["predictions"][0]["index"], 285);
    assert_eq!(lines[1]["predictions"][0]["index"], 967);

    let json = camtag(&["classify", chelsea, "--model", model, "--json", "--device", "cpu"]);
    let format = camtag(&["classify", chelsea, "--model", model, "--format", "json", "--device", "cpu"]);
    let top = |o: &Output| serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()[0]["predictions"].clone();
    assert_eq!(top(&json), top(&format));
    let bad = camtag(&["classify", chelsea, "--model", model, "--format", "yaml"]);
    assert!(!bad.status.success() && stderr(&bad).contains("text") && stderr(&bad).contains("jsonl"), "{}", stderr(&bad));

    // eval, run in an empty folder, leaves it empty without --confusion.
    let folder = scratch().join("eval-cwd");
    let data = folder.join("data/Egyptian cat");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(chelsea, data.join("c.png")).unwrap();
    let eval = Command::new(env!("CARGO_BIN_EXE_camtag")).args(["eval", "--model", model, "--data", "data", "--json"]).current_dir(&folder).output().unwrap();
    assert!(eval.status.success(), "{}", stderr(&eval));
    let mut left: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, ["data"], "no confusion.svg unasked");

    // One JSON key style, the page's camelCase, in everything the commands print.
    let printed = |o: &Output| serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
    let info = camtag(&["info", "--model", model, "--json"]);
    let cam = camtag(&["cam", chelsea, "--model", model, "--json"]);
    for (command, value) in [("classify", printed(&json)), ("eval", printed(&eval)), ("info", printed(&info)), ("cam", printed(&cam))] {
        common::assert_camel_case_keys(&value, command);
    }

    // import: the summary on stderr, nothing on stdout.
    let pth = fixture("weights/mobilenet_v2-b0353104.pth");
    let import = camtag(&["import", "--pth", pth.to_str().unwrap(), "--out", scratch().join("i.camtag").to_str().unwrap()]);
    assert!(import.status.success() && import.stdout.is_empty() && stderr(&import).contains("MobileNetV2"), "{}", stderr(&import));

    // The default model: beside a copy of the binary (bin/camtag, www/models/ above it), run from
    // elsewhere; and where there is none, the message says how to get one.
    let install = scratch().join("install");
    std::fs::create_dir_all(install.join("bin")).unwrap();
    std::fs::create_dir_all(install.join("www/models")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_camtag"), install.join("bin/camtag")).unwrap();
    std::fs::copy(model, install.join("www/models/mobilenet_v2.camtag")).unwrap();
    let elsewhere = scratch().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let found = output_of_copy(Command::new(install.join("bin/camtag")).args(["classify", chelsea, "--format", "json"]).current_dir(&elsewhere).env_remove("CAMTAG_MODEL"));
    assert!(found.status.success(), "{}", stderr(&found));
    // (A copy with no www/ above it: the test binary itself may sit in the checkout's target/.)
    let lonely = std::env::temp_dir().join(format!("camtag-lonely-{}", std::process::id()));
    std::fs::create_dir_all(&lonely).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_camtag"), lonely.join("camtag")).unwrap();
    let none = output_of_copy(Command::new(lonely.join("camtag")).args(["classify", chelsea]).current_dir(&elsewhere).env_remove("CAMTAG_MODEL"));
    std::fs::remove_dir_all(&lonely).unwrap();
    assert!(!none.status.success() && stderr(&none).contains("./build.sh") && stderr(&none).contains("--model"), "{}", stderr(&none));

    // Completions: each shell's script names the subcommands; bash, zsh and fish also the closed
    // sets' values (clap_complete gives PowerShell and elvish the options only).
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = camtag(&["completions", shell]);
        let text = String::from_utf8_lossy(&script.stdout);
        assert!(script.status.success(), "{shell}: {}", stderr(&script));
        let values: &[&str] = if matches!(shell, "bash" | "zsh" | "fish") { &["wgpu", "jsonl"] } else { &[] };
        for word in ["classify", "train", "completions", "device"].iter().chain(values) {
            assert!(text.contains(word), "{shell}'s completions lack {word}");
        }
    }
    assert!(!camtag(&["completions", "tcsh"]).status.success(), "an unknown shell is a usage error");
}

/// VGG as published: torchvision's parameter counts in `camtag info`, a size its fully connected
/// head cannot take refused with the reason (info, classify, train), no panic; the GAP variant
/// takes it; GoogLeNet's difference from torchvision explained.
#[test]
fn vgg_as_published_counts_and_refuses_other_sizes() {
    let info = |args: &[&str]| camtag(&[&["info", "--json"], args].concat());
    for (arch, params) in [("vgg16", 138_357_544u64), ("vgg16-bn", 138_365_992), ("vgg11", 132_863_336), ("resnet18", 11_689_512)] {
        let out = info(&["--arch", arch]);
        assert!(out.status.success(), "{arch}: {}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["params"], params, "{arch}");
    }
    let refused = info(&["--arch", "vgg16", "--size", "320"]);
    assert_eq!(refused.status.code(), Some(1));
    let why = stderr(&refused);
    assert!(why.contains("224 x 224") && why.contains("512·10·10") && !why.contains("panicked"), "{why}");
    assert!(info(&["--arch", "vgg16-gap", "--size", "320"]).status.success());
    let text = camtag(&["info", "--arch", "googlenet"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("torchvision issue #906"));

    // classify --size with a bundle of VGG-11 as published (random weights, a few channels).
    let bundle = {
        use camtag::bundle::{Manifest, Source, WeightsInfo, weights};
        use camtag::nets::{Architecture, vgg::VggConfig};
        let architecture = Architecture::Vgg(VggConfig::vgg11(2).with_widths(vec![4, 4, 8, 8, 8]));
        let network = architecture.init(&Device::flex());
        let manifest = Manifest {
            name: "tiny VGG-11".into(),
            architecture,
            preprocessing: camtag::preprocess::Preprocessing::imagenet(),
            labels: camtag::labels::Labels { en: vec!["a".into(), "b".into()], zh: vec!["甲".into(), "乙".into()] },
            source: Source { description: "test".into(), file: String::new(), sha256: String::new(), distribution: String::new(), licence: String::new() },
            accuracy: None,
            training: None,
            weights: WeightsInfo { format: "burnpack".into(), dtype: WeightsDtype::F32, bytes: 0, sha256: String::new() },
            written_by: "test".into(),
        };
        let path = scratch().join("tiny-vgg11.camtag");
        std::fs::write(&path, Bundle::new(manifest, weights::encode(&network, WeightsDtype::F32).unwrap()).to_bytes().unwrap()).unwrap();
        path
    };
    let photo = fixture("photos/chelsea.png");
    let classify = |size: &str| camtag(&["classify", photo.to_str().unwrap(), "--model", bundle.to_str().unwrap(), "--size", size, "--device", "cpu"]);
    assert!(classify("224").status.success(), "{}", stderr(&classify("224")));
    let refused = classify("320");
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("fully connected") && !stderr(&refused).contains("panicked"), "{}", stderr(&refused));
    // train refuses the size before reading a picture.
    let train = camtag(&["train", "--data", "/nonexistent", "--arch", "vgg16", "--size", "64", "--out", scratch().join("t.camtag").to_str().unwrap()]);
    assert!(!train.status.success() && stderr(&train).contains("224 x 224 pictures only"), "{}", stderr(&train));
}
