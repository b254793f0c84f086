//! `camtag train` and `camtag eval` end to end, through the binary, on pictures the tests make
//! from the real photos: random crops of each photo form one tag (猫 = crops of chelsea, 咖啡 =
//! crops of coffee, 宇航员 = crops of astronaut), so what the networks must learn is real image
//! content, and the answers are known.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use burn::prelude::Device;
use camtag::train::history::History;
use camtag::{Bundle, Classifier};
use common::*;
use serde_json::Value;

fn camtag(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camtag")).args(args).output().expect("run camtag")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("camtag-train-test-{}", std::process::id())).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `count` random crops (a quarter to all of the shorter side, anywhere) of `photo`, saved at
/// 96 px on the shorter side as PNG in `dir/tag/`.
fn crops(dir: &Path, tag: &str, photo: &str, count: usize, seed: u64) {
    let image = image::open(fixture(&format!("photos/{photo}"))).unwrap().to_rgb8();
    let (w, h) = image.dimensions();
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = |n: u32| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) % u64::from(n.max(1))) as u32
    };
    std::fs::create_dir_all(dir.join(tag)).unwrap();
    for i in 0..count {
        let short = w.min(h);
        let side = short / 2 + next(short / 2);
        let (x, y) = (next(w - side + 1), next(h - side + 1));
        let crop = image::imageops::crop_imm(&image, x, y, side, side).to_image();
        let small = image::imageops::resize(&crop, 96, 96, image::imageops::FilterType::Triangle);
        small.save(dir.join(tag).join(format!("{i:03}.png"))).unwrap();
    }
}

/// The three-tag dataset, made once per test binary (`per_tag` crops each).
fn dataset(per_tag: usize) -> PathBuf {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    assert_eq!(per_tag, 20, "one dataset size is shared by the tests");
    DATA.get_or_init(|| {
        let dir = scratch("data");
        crops(&dir, "猫", "chelsea.png", per_tag, 1);
        crops(&dir, "咖啡", "coffee.png", per_tag, 2);
        crops(&dir, "宇航员", "astronaut.png", per_tag, 3);
        dir
    })
    .clone()
}

fn history(workdir: &Path) -> History {
    History::load(&workdir.join("history.json")).unwrap()
}

fn manifest_of(bundle: &Path) -> camtag::bundle::Manifest {
    Bundle::from_bytes(&std::fs::read(bundle).unwrap()).unwrap().manifest
}

#[test]
fn scratch_resnet_learns_the_tags() {
    let dir = scratch("scratch");
    let out = dir.join("tags.camtag");
    let run = camtag(&[
        "train", "--data", s(&dataset(20)), "--arch", "resnet", "--size", "48", "--epochs", "8", "--out", s(&out), "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["tags"], serde_json::json!(["咖啡", "宇航员", "猫"]), "sorted folder names");
    assert_eq!((report["train_pictures"].as_u64(), report["valid_pictures"].as_u64()), (Some(48), Some(12)));

    // The loss falls, ending far below chance's (ln 3 = 1.10 for three tags), and validation beats
    // chance (33%) by a wide margin. (How much it falls after the first epoch varies with the
    // order of parallel float sums: the first epoch alone often reaches 0.6, and the last epoch
    // has ended a hair above it (0.597 → 0.600), so the fall is measured to the best later epoch.)
    let h = history(&dir.join("tags.training"));
    assert!(h.epochs.len() >= 3, "{:?}", h.epochs);
    let (first, last) = (h.epochs[0], *h.epochs.last().unwrap());
    let best_later = h.epochs[1..].iter().map(|e| e.train.loss).fold(f64::INFINITY, f64::min);
    let chance = 3f64.ln();
    assert!(
        best_later < first.train.loss && last.train.loss < 0.6 * chance,
        "train loss {} → best {best_later}, last {}",
        first.train.loss,
        last.train.loss
    );
    let kept = report["kept"]["valid"]["top1"].as_f64().unwrap();
    assert!(kept >= 66.0, "validation top-1 {kept}% (chance 33%)");

    // The bundle carries the tags, the architecture, the input size and the metrics, and it
    // classifies a crop it never saw as its tag.
    let manifest = manifest_of(&out);
    assert_eq!(manifest.labels.zh, vec!["咖啡", "宇航员", "猫"]);
    assert_eq!(manifest.preprocessing.crop, 48);
    let training = manifest.training.as_ref().unwrap();
    assert_eq!((training.recipe.as_str(), training.input_size, training.k), ("resnet", 48, 3));
    assert_eq!(training.valid_top1, kept);
    assert!(matches!(manifest.architecture, camtag::nets::Architecture::Resnet(ref c) if c.num_classes == 3));
    let svg = std::fs::read_to_string(dir.join("tags.curves.svg")).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 5, "loss ×2 and accuracy ×3 curves");
    assert!(!dir.join("tags.training/checkpoint").exists(), "checkpoints dropped once the bundle is written");

    let classify = camtag(&["classify", "--model", s(&out), "--json", "--top", "1", s(&fixture("photos/coffee.png"))]);
    assert!(classify.status.success(), "{}", stderr(&classify));
    let result: Value = serde_json::from_slice(&classify.stdout).unwrap();
    assert_eq!(result[0]["predictions"][0]["zh"], "咖啡");
}

#[test]
fn transfer_head_on_a_small_set() {
    for (recipe, backbone) in [("mobilenet-v2-transfer", common::model_file()), ("efficientnet-lite0-transfer", common::lite0_file())] {
        let dir = scratch(recipe);
        let out = dir.join("weather.camtag");
        let started = Instant::now();
        let run = camtag(&[
            "train", "--data", s(&dataset(20)), "--arch", recipe, "--size", "160", "--epochs", "15",
            "--out", s(&out), "--backbone", s(&backbone), "--json",
        ]);
        assert!(run.status.success(), "{recipe}: {}", stderr(&run));
        eprintln!("{recipe} took {:.1} s", started.elapsed().as_secs_f64());
        let report: Value = serde_json::from_slice(&run.stdout).unwrap();
        let top1 = report["kept"]["valid"]["top1"].as_f64().unwrap();
        assert!(top1 >= 90.0, "{recipe}: validation top-1 {top1}% with an ImageNet backbone");

        // Backbone + head in one bundle, with the backbone's own normalization.
        let bundle = Bundle::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
        let imagenet = Bundle::from_bytes(&std::fs::read(&backbone).unwrap()).unwrap();
        assert_eq!(bundle.manifest.architecture.num_classes(), 3);
        assert_eq!(bundle.manifest.preprocessing.crop, 160);
        assert_eq!(bundle.manifest.preprocessing.mean, imagenet.manifest.preprocessing.mean);
        assert_eq!(bundle.manifest.training.as_ref().unwrap().recipe, recipe);
        let device = Device::flex();
        let trained = Classifier::new(bundle, &device).unwrap();
        let (rgb, w, h) = photo_rgb("astronaut");
        let view = camtag::preprocess::ImageView::rgb(&rgb, w, h).unwrap();
        let top = pollster::block_on(trained.classify(&view, 3)).unwrap();
        assert_eq!(top[0].zh, "宇航员", "{recipe}: {top:?}");

        // The embeddings are cached in the training folder for --resume.
        assert!(dir.join("weather.training/embeddings-train.bin").exists());
    }
}

#[test]
fn resume_after_kill_continues_from_the_checkpoint() {
    let dir = scratch("resume");
    let out = dir.join("r.camtag");
    let workdir = dir.join("r.training");
    let data = dataset(20);
    let args = ["train", "--data", s(&data), "--arch", "vgg", "--size", "32", "--epochs", "6", "--patience", "10", "--out", s(&out)];
    let mut child = Command::new(env!("CARGO_BIN_EXE_camtag")).args(args).stderr(Stdio::null()).spawn().unwrap();
    // Kill it (SIGKILL: no chance to tidy up) once two epochs are done.
    let deadline = Instant::now() + Duration::from_secs(300);
    while history(&workdir).epochs.len() < 2 {
        assert!(child.try_wait().unwrap().is_none(), "training ended before it could be killed");
        assert!(Instant::now() < deadline, "no epoch finished in 5 minutes");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "no bundle from a killed run");
    let done_before = history(&workdir).epochs.len();

    // Without --resume the unfinished run is protected.
    let fresh = camtag(&args);
    assert!(!fresh.status.success());
    assert!(stderr(&fresh).contains("--resume"), "{}", stderr(&fresh));

    let mut resumed_args = args.to_vec();
    resumed_args.push("--resume");
    let resumed = camtag(&resumed_args);
    let log = stderr(&resumed);
    assert!(resumed.status.success(), "{log}");
    let after: usize = log.split("resuming after epoch ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(after >= 1 && after <= done_before, "resumed after epoch {after}, {done_before} were logged");
    assert!(!log.contains("epoch  1/6"), "finished epochs are not redone:\n{log}");
    let epochs: Vec<usize> = history(&workdir).epochs.iter().map(|e| e.epoch).collect();
    assert_eq!(epochs, (1..=epochs.len()).collect::<Vec<_>>(), "one record per epoch, in order");
    assert!(epochs.len() == 6, "{epochs:?}");
    assert!(out.exists());

    // A finished run has dropped its checkpoints: nothing left to resume.
    let again = camtag(&resumed_args);
    assert!(!again.status.success(), "nothing left to resume");
}

#[test]
fn a_full_disk_stops_training_cleanly_and_keeps_the_previous_bundle() {
    let dir = scratch("full-disk");
    let out = dir.join("m.camtag");
    std::fs::write(&out, b"the previous bundle").unwrap();
    let data = dataset(20);
    // The disk "fills up" after 200 KiB: RLIMIT_FSIZE fails every write past it (EFBIG) the way
    // ENOSPC would; SIGXFSZ is ignored so the write returns the error. The first checkpoint
    // (~1.5 MB for this VGG) is where it runs out.
    let run = Command::new("bash")
        .args(["-c", r#"trap '' XFSZ; ulimit -f 200; exec "$0" "$@""#, env!("CARGO_BIN_EXE_camtag")])
        .args(["train", "--data", s(&data), "--arch", "vgg", "--size", "32", "--epochs", "3", "--out", s(&out)])
        .output()
        .unwrap();
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("training failed in epoch") && err.contains("File too large"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"the previous bundle", "the previous bundle is untouched");
}

#[test]
fn bad_datasets_get_clear_errors() {
    let dir = scratch("bad");
    let out = dir.join("x.camtag");
    let train = |data: &Path| camtag(&["train", "--data", s(data), "--arch", "vgg", "--size", "32", "--epochs", "1", "--out", s(&out)]);
    let expect_error = |data: &Path, needle: &str| {
        let run = train(data);
        assert_eq!(run.status.code(), Some(1), "a clear error, not a panic: {}", stderr(&run));
        assert!(stderr(&run).contains(needle), "expected {needle:?} in: {}", stderr(&run));
    };
    expect_error(&dir.join("missing"), "no such folder");

    let one = dir.join("one");
    crops(&one, "多云", "china.jpg", 3, 9);
    expect_error(&one, "2 needed");

    let empty = dir.join("empty");
    crops(&empty, "多云", "china.jpg", 3, 9);
    std::fs::create_dir_all(empty.join("晴天")).unwrap();
    std::fs::write(empty.join("晴天/notes.txt"), "not a picture").unwrap();
    expect_error(&empty, "\"晴天\"");

    let lonely = dir.join("lonely");
    crops(&lonely, "多云", "china.jpg", 3, 9);
    crops(&lonely, "晴天", "coffee.png", 1, 9);
    expect_error(&lonely, "only 1 usable picture");

    let bad_arch = camtag(&["train", "--data", s(&dataset(20)), "--arch", "alexnet", "--out", s(&out)]);
    assert_eq!(bad_arch.status.code(), Some(1));
    assert!(stderr(&bad_arch).contains("unknown architecture \"alexnet\""), "{}", stderr(&bad_arch));

    // Junk among good pictures: skipped, counted, named; training goes on.
    let mixed = dir.join("mixed");
    crops(&mixed, "多云", "china.jpg", 4, 5);
    crops(&mixed, "晴天", "coffee.png", 4, 6);
    std::fs::write(mixed.join("多云/readme.txt"), "hello").unwrap();
    std::fs::write(mixed.join("晴天/broken.jpg"), b"\xff\xd8\xff\xe0 truncated").unwrap();
    std::fs::write(mixed.join("晴天/empty.png"), b"").unwrap();
    image::RgbImage::new(8, 8).save(mixed.join("晴天/tiny.png")).unwrap();
    std::fs::write(mixed.join("stray.jpg"), b"x").unwrap();
    let run = camtag(&["train", "--data", s(&mixed), "--arch", "vgg", "--size", "32", "--epochs", "1", "--out", s(&out), "--json"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let skipped: Vec<&str> = report["skipped"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    assert!(skipped.iter().any(|s| s.contains("tiny.png") && s.contains("too small")), "{skipped:?}");
    assert!(skipped.iter().any(|s| s.contains("broken.jpg")), "{skipped:?}");
    assert!(stderr(&run).contains("ignored 1 file(s) directly in"), "{}", stderr(&run));
    assert_eq!(report["pictures_per_tag"], serde_json::json!([4, 4]));
}

#[test]
fn eval_numbers_equal_a_hand_count() {
    // Five pictures in five ImageNet folders; the reference's top-1 of each photo is known
    // (golden.json): chelsea → Egyptian cat (285), coffee → espresso (967), china → palace (698).
    let dir = scratch("eval");
    let data = dir.join("data");
    for (folder, photo) in [("Egyptian cat", "chelsea.png"), ("虎斑猫", "chelsea.png"), ("espresso", "coffee.png"), ("cup", "coffee.png"), ("palace", "china.jpg")] {
        std::fs::create_dir_all(data.join(folder)).unwrap();
        std::fs::copy(fixture(&format!("photos/{photo}")), data.join(folder).join(photo)).unwrap();
    }
    let confusion = dir.join("confusion.svg");
    let run = camtag(&["eval", "--model", s(&common::model_file()), "--data", s(&data), "--confusion", s(&confusion), "--json"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();

    // By hand: right in "Egyptian cat", "espresso", "palace"; wrong in "虎斑猫" (said Egyptian
    // cat) and "cup" (said espresso). Top-5: tabby and cup are in those photos' top-5.
    assert_eq!(r["pictures"], 5);
    assert_eq!(r["top1"].as_f64().unwrap(), 60.0);
    assert_eq!(r["topk"].as_f64().unwrap(), 100.0);
    // Folders sort as: Egyptian cat, cup, espresso, palace, 虎斑猫.
    assert_eq!(r["confusion"]["tags"], serde_json::json!(["Egyptian cat", "cup", "espresso", "palace", "虎斑猫"]));
    assert_eq!(
        r["confusion"]["counts"],
        serde_json::json!([[1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0], [1, 0, 0, 0, 0, 0]])
    );
    let egyptian = &r["per_tag"][0];
    assert_eq!((egyptian["precision"].as_f64(), egyptian["recall"].as_f64()), (Some(50.0), Some(100.0)));
    assert_eq!(r["per_tag"][1]["precision"], Value::Null, "never predicted cup");
    let wrong: Vec<&str> = r["misclassified"].as_array().unwrap().iter().map(|m| m["file"].as_str().unwrap()).collect();
    assert_eq!(wrong, vec!["cup/coffee.png", "虎斑猫/chelsea.png"]);
    assert!(std::fs::read_to_string(&confusion).unwrap().contains("虎斑猫"));

    let unknown = dir.join("unknown");
    std::fs::create_dir_all(unknown.join("多云")).unwrap();
    std::fs::copy(fixture("photos/china.jpg"), unknown.join("多云/china.jpg")).unwrap();
    let run = camtag(&["eval", "--model", s(&common::model_file()), "--data", s(&unknown)]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("not one of the model's 1000 labels"), "{}", stderr(&run));
}
