//! `camtag train` and `camtag eval` end to end, through the binary, on pictures the tests make
//! from the real photos: pieces of each photo form one tag (猫 = pieces of chelsea, 咖啡 = pieces
//! of coffee, 宇航员 = pieces of astronaut), so what the networks must learn is real image content,
//! and the answers are known. The pieces never overlap (each is cut from a cell of its own in a
//! grid over the photo), so the pictures the trainer keeps aside to validate on share no pixel
//! with those it learns from, and a few cells are never handed to the trainer at all: the
//! trained bundles are tried on those.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use burn::optim::OptimizerRecord;
use burn::optim::lr_scheduler::LrSchedulerRecord;
use burn::prelude::Device;
use burn::store::ModuleRecord;
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

/// The grid the tests cut each tag's photo into: `GRID.0` columns by `GRID.1` rows of cells.
const GRID: (u32, u32) = (6, 4);
/// The cells (row by row) never given to the trainer: one a row, in different columns, so the
/// bundles are tried on parts of the photo no training or validation picture covers.
const HELD_OUT: [u32; 4] = [4, 7, 15, 18];

/// The pictures of `cells` of `photo` (cut into `GRID`): each a whole cell, saved at 96 px on
/// its shorter side as PNG in `dir/tag/`, so no two pictures share a pixel.
fn tiles(dir: &Path, tag: &str, photo: &str, cells: impl IntoIterator<Item = u32>) {
    let image = image::open(fixture(&format!("photos/{photo}"))).unwrap().to_rgb8();
    let (w, h) = image.dimensions();
    std::fs::create_dir_all(dir.join(tag)).unwrap();
    for cell in cells {
        let (column, row) = (cell % GRID.0, cell / GRID.0);
        assert!(row < GRID.1, "cell {cell} is outside the grid");
        let (x0, x1) = (w * column / GRID.0, w * (column + 1) / GRID.0);
        let (y0, y1) = (h * row / GRID.1, h * (row + 1) / GRID.1);
        let tile = image::imageops::crop_imm(&image, x0, y0, x1 - x0, y1 - y0).to_image();
        let scale = 96.0 / f64::from((x1 - x0).min(y1 - y0));
        let (tw, th) = ((f64::from(x1 - x0) * scale).round() as u32, (f64::from(y1 - y0) * scale).round() as u32);
        let small = image::imageops::resize(&tile, tw, th, image::imageops::FilterType::Triangle);
        small.save(dir.join(tag).join(format!("cell{cell:02}.png"))).unwrap();
    }
}

/// The tags, each with its photo.
const TAGS: [(&str, &str); 3] = [("猫", "chelsea.png"), ("咖啡", "coffee.png"), ("宇航员", "astronaut.png")];

/// The three-tag dataset, made once per test binary (`per_tag` pictures each, one a cell of the
/// grid, none of the `HELD_OUT` cells).
fn dataset(per_tag: usize) -> PathBuf {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    assert_eq!(per_tag, 20, "one dataset size is shared by the tests");
    DATA.get_or_init(|| {
        let dir = scratch("data");
        let cells: Vec<u32> = (0..GRID.0 * GRID.1).filter(|c| !HELD_OUT.contains(c)).collect();
        assert_eq!(cells.len(), per_tag);
        for (tag, photo) in TAGS {
            tiles(&dir, tag, photo, cells.iter().copied());
        }
        dir
    })
    .clone()
}

/// The `HELD_OUT` cells of each tag's photo, in the same layout (never part of `dataset`).
fn held_out() -> PathBuf {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = scratch("held-out");
        for (tag, photo) in TAGS {
            tiles(&dir, tag, photo, HELD_OUT);
        }
        dir
    })
    .clone()
}

/// The held-out pictures of `tag`.
fn held_out_pictures(tag: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(held_out().join(tag)).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), HELD_OUT.len());
    files
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
    // Pieces of a photo tell less than crops of all of it: 30 epochs at a higher learning rate,
    // to the end of the schedule (about 35 s here).
    let run = camtag(&[
        "train", "--data", s(&dataset(20)), "--arch", "resnet", "--size", "48", "--epochs", "30", "--patience", "30", "--lr", "3e-3", "--out", s(&out), "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["tags"], serde_json::json!(["咖啡", "宇航员", "猫"]), "sorted folder names");
    assert_eq!((report["trainPictures"].as_u64(), report["validPictures"].as_u64()), (Some(48), Some(12)));
    assert_camel_case_keys(&report, "train");

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

    // The bundle carries the tags, the architecture, the input size and the metrics, and it tags
    // pictures of parts of the photos that neither training nor validation covered.
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

    // More often right than wrong (chance: a third), by `camtag classify` and by `camtag eval`:
    // a piece of a photo is a harder picture than all of it, and which pieces a run gets wrong
    // varies (7 to 12 of the 12 in some thirty runs here; validation, 75 to 100%).
    let pictures: Vec<(&str, PathBuf)> = TAGS.iter().flat_map(|&(tag, _)| held_out_pictures(tag).into_iter().map(move |p| (tag, p))).collect();
    let mut args = vec!["classify", "--model", s(&out), "--json", "--top", "1"];
    args.extend(pictures.iter().map(|(_, p)| s(p)));
    let classify = camtag(&args);
    assert!(classify.status.success(), "{}", stderr(&classify));
    let result: Value = serde_json::from_slice(&classify.stdout).unwrap();
    let said: Vec<&str> = result.as_array().unwrap().iter().map(|r| r["predictions"][0]["zh"].as_str().unwrap()).collect();
    assert_eq!(said.len(), pictures.len(), "{result}");
    let right = pictures.iter().zip(&said).filter(|((tag, _), said)| tag == *said).count();
    assert!(right * 2 > pictures.len(), "{right} of {} held-out pictures tagged right: {said:?}", pictures.len());
    let confusion = dir.join("held-out.confusion.svg");
    let eval = camtag(&["eval", "--model", s(&out), "--data", s(&held_out()), "--confusion", s(&confusion), "--json"]);
    assert!(eval.status.success(), "{}", stderr(&eval));
    let eval: Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(eval["pictures"], 3 * HELD_OUT.len());
    let held_out_top1 = eval["top1"].as_f64().unwrap();
    assert!(held_out_top1 > 50.0, "held-out top-1 {held_out_top1}% (chance 33%): {}", eval["misclassified"]);
    // (Not the whole coffee photo, as before: it holds the training pictures, and at 48 px a
    // network that learnt pieces of it tags it right most times only.)
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
        // It tags the pictures of parts of the photos that neither training nor validation
        // covered: every astronaut one, and all but one at most of the others.
        let device = Device::flex();
        let trained = Classifier::new(bundle, &device).unwrap();
        let mut wrong = Vec::new();
        for (tag, _) in TAGS {
            for file in held_out_pictures(tag) {
                let rgb = image::open(&file).unwrap().to_rgb8();
                let view = camtag::preprocess::ImageView::rgb(rgb.as_raw(), rgb.width(), rgb.height()).unwrap();
                let top = pollster::block_on(trained.classify(&view, 3)).unwrap();
                if tag == "宇航员" {
                    assert_eq!(top[0].zh, "宇航员", "{recipe}, {}: {top:?}", file.display());
                }
                if top[0].zh != tag {
                    wrong.push(format!("{} as {}", file.display(), top[0].zh));
                }
            }
        }
        assert!(wrong.len() <= 1, "{recipe}: held-out pictures tagged wrong: {wrong:?}");
        // And a whole photo (of which it learnt pieces only).
        let (rgb, w, h) = photo_rgb("astronaut");
        let view = camtag::preprocess::ImageView::rgb(&rgb, w, h).unwrap();
        let top = pollster::block_on(trained.classify(&view, 3)).unwrap();
        assert_eq!(top[0].zh, "宇航员", "{recipe}: {top:?}");

        // The embeddings are cached in the training folder for --resume.
        assert!(dir.join("weather.training/embeddings-train.bin").exists());
    }
}

/// A small VGG run on the three-tag dataset, `epochs` long with no early stop, in the scratch
/// folder `name`: its arguments, its bundle and its training folder. The interruption tests'.
fn small_vgg_run(name: &str, epochs: usize) -> (Vec<String>, PathBuf, PathBuf) {
    let dir = scratch(name);
    let (out, workdir) = (dir.join(format!("{name}.camtag")), dir.join(format!("{name}.training")));
    let (data, epochs) = (dataset(20), epochs.to_string());
    let args = ["train", "--data", s(&data), "--arch", "vgg", "--size", "32", "--epochs", epochs.as_str(), "--patience", epochs.as_str(), "--out", s(&out)];
    (args.map(String::from).to_vec(), out, workdir)
}

#[test]
fn resume_after_kill_continues_from_the_checkpoint() {
    let (args, out, workdir) = small_vgg_run("resume", 6);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_camtag")).args(&args).stderr(Stdio::null()).spawn().unwrap();
    // An epoch is finished once its model, optimizer and scheduler checkpoints all read back.
    let checkpoint = |kind: &str, epoch: usize| workdir.join("checkpoint").join(format!("{kind}-{epoch}.bpk"));
    let finished = |epoch: usize| {
        ModuleRecord::load(checkpoint("model", epoch)).is_ok()
            && OptimizerRecord::load(checkpoint("optim", epoch)).is_ok()
            && LrSchedulerRecord::load(checkpoint("scheduler", epoch)).is_ok()
    };
    // Kill it (SIGKILL: no chance to tidy up) once two epochs are finished.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let logged = history(&workdir).epochs.len();
        if logged >= 2 && finished(logged) {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "training ended before it could be killed");
        assert!(Instant::now() < deadline, "two epochs did not finish in 5 minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "no bundle from a killed run");
    let before = history(&workdir);
    let done_before = before.epochs.len();
    // The history logs an epoch before burn writes its checkpoint: the kill may have come in
    // between, leaving the last logged epoch unfinished (to be redone); every other one is finished.
    let last_finished = (1..=done_before).rev().find(|&e| finished(e)).unwrap_or(0);
    assert!(last_finished >= 2 && last_finished + 1 >= done_before, "{last_finished} epochs finished, {done_before} logged");

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
    // Every finished epoch is kept: none is redone, and each keeps the record it had.
    assert_eq!(after, last_finished, "resumed after epoch {after}, but {last_finished} were finished");
    assert!(!log.contains("epoch  1/6"), "finished epochs are not redone:\n{log}");
    for epoch in 1..=6 {
        let line = format!("epoch {epoch:>2}/6 ");
        assert_eq!(log.contains(&line), epoch > after, "{line:?} in the resumed run's log:\n{log}");
    }
    let resumed_history = history(&workdir);
    assert_eq!(resumed_history.epochs[..after], before.epochs[..after], "the finished epochs' records are kept as they were");
    let epochs: Vec<usize> = resumed_history.epochs.iter().map(|e| e.epoch).collect();
    assert_eq!(epochs, (1..=epochs.len()).collect::<Vec<_>>(), "one record per epoch, in order");
    assert!(epochs.len() == 6, "{epochs:?}");
    assert!(out.exists());

    // A finished run has dropped its checkpoints: nothing left to resume.
    let again = camtag(&resumed_args);
    assert!(!again.status.success(), "nothing left to resume");
}

/// Ctrl-C (SIGINT here; the `ctrlc` crate maps Windows' console Ctrl-C to the same handler):
/// the first stops training after the current step, with the way to resume said and no bundle
/// written; the run then resumes after its last finished epoch.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_after_the_step_and_the_run_resumes() {
    let (args, out, workdir) = small_vgg_run("ctrl-c", 12);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = Command::new(env!("CARGO_BIN_EXE_camtag")).args(&args).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while history(&workdir).epochs.is_empty() {
        assert!(Instant::now() < deadline, "no epoch finished in 5 minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: sends SIGINT to the child this test spawned (and has not waited for yet).
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let stopped = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&stopped.stderr);
    assert!(!stopped.status.success(), "a stopped run is not a success:\n{log}");
    assert!(log.contains("stopping after this step") && log.contains("--resume"), "{log}");
    assert!(!log.contains("epoch 12/12"), "it stopped well before the end:\n{log}");
    assert!(!out.exists(), "no bundle from a stopped run");
    let logged = history(&workdir).epochs.len();
    assert!(logged >= 1, "{logged}");

    let resumed = camtag(&[&args[..], &["--resume"]].concat());
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains("resuming after epoch "), "{}", stderr(&resumed));
    assert!(out.exists());
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
    assert_eq!(report["picturesPerTag"], serde_json::json!([4, 4]));
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
    let egyptian = &r["perTag"][0];
    assert_eq!((egyptian["precision"].as_f64(), egyptian["recall"].as_f64()), (Some(50.0), Some(100.0)));
    assert_eq!(r["perTag"][1]["precision"], Value::Null, "never predicted cup");
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

/// `dir` zipped as the page exports it: `TAG/NAME` entries, stored (not deflated), UTF-8 names.
fn zip_as_the_page_does(dir: &Path, out: &Path) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (tag, _) in TAGS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(tag)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            zip.start_file(format!("{tag}/{}", file.file_name().unwrap().to_str().unwrap()), stored).unwrap();
            zip.write_all(&std::fs::read(&file).unwrap()).unwrap();
        }
    }
    zip.finish().unwrap();
}

#[test]
fn the_pages_zip_trains_as_its_folder_does() {
    let dir = scratch("zip");
    let zipped = dir.join("camtag-samples.zip");
    zip_as_the_page_does(&dataset(20), &zipped);
    let backbone = common::model_file();
    let train = |data: &Path, out: &Path| {
        let run = camtag(&[
            "train", "--data", s(data), "--arch", "mobilenet-v2-transfer", "--size", "128", "--epochs", "8", "--views", "1",
            "--out", s(out), "--backbone", s(&backbone), "--json",
        ]);
        assert!(run.status.success(), "{}: {}", data.display(), stderr(&run));
        let report: Value = serde_json::from_slice(&run.stdout).unwrap();
        (report, Bundle::from_bytes(&std::fs::read(out).unwrap()).unwrap())
    };
    let (from_zip, zip_bundle) = train(&zipped, &dir.join("z.camtag"));
    let (from_folder, folder_bundle) = train(&dataset(20), &dir.join("f.camtag"));
    assert_eq!(from_zip["tags"], from_folder["tags"]);
    assert_eq!(from_zip["picturesPerTag"], serde_json::json!([20, 20, 20]));
    // The same pictures, split and seed: the same run, weight for weight.
    assert_eq!(from_zip["kept"], from_folder["kept"]);
    let head = |bundle: Bundle| {
        let network = camtag::bundle::weights::decode(&bundle.manifest.architecture, bundle.weights, &Device::flex()).unwrap();
        network.classifier().weight.val().into_data().try_to_vec::<f32>().unwrap()
    };
    assert_eq!(head(zip_bundle.clone()), head(folder_bundle.clone()));
    assert_eq!(zip_bundle.manifest.training, folder_bundle.manifest.training);

    // A zip that is no zip inside, and one with a name escaping its folder, are refused clearly.
    let broken = dir.join("broken.zip");
    std::fs::write(&broken, b"PK\x03\x04 not really").unwrap();
    let run = camtag(&["train", "--data", s(&broken), "--out", s(&dir.join("b.camtag")), "--backbone", s(&backbone)]);
    assert!(!run.status.success() && stderr(&run).contains("not a readable zip"), "{}", stderr(&run));
}

/// The page's way, through the library: each picture described once by the ImageNet network (its
/// inference crop), a head taught on those descriptions, put on the network as a bundle. Its
/// validation top-1 is within 5 points of `camtag train` on the same pictures and seed, and the
/// bundle's scores are the head's scores of the descriptions.
#[test]
fn the_pages_trainer_agrees_with_the_cli() {
    use camtag::teach::{Examples, TeachConfig, Tag, bundle};
    let device = Device::flex();
    let backbone = common::model_file();
    let base_bytes = std::fs::read(&backbone).unwrap();
    let base = Classifier::from_bytes(&base_bytes, &device).unwrap();
    let data = dataset(20);
    let (mut features, mut labels, mut views) = (Vec::new(), Vec::new(), Vec::new());
    for (label, (tag, _)) in TAGS.iter().enumerate() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(data.join(tag)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let rgb = image::open(&file).unwrap().to_rgb8();
            let view = camtag::preprocess::ImageView::rgb(rgb.as_raw(), rgb.width(), rgb.height()).unwrap();
            features.extend(pollster::block_on(base.describe(&view)).unwrap());
            labels.push(label);
            views.push(rgb);
        }
    }
    assert_eq!(base.feature_width(), 1280);
    let tags: Vec<Tag> = TAGS.iter().map(|(zh, _)| Tag { zh: (*zh).into(), en: None }).collect();
    let examples = Examples::new(1280, features, labels, 3).unwrap();
    let (mut fitting, counts) = camtag::teach::prepare(&tags, &examples, TeachConfig::new()).unwrap();
    assert_eq!(counts, vec![(16, 4); 3]);
    while !fitting.done() {
        fitting.epoch();
    }
    let fitted = fitting.finish();
    let lesson = bundle::Taught { name: "天气", tags: &tags, fitted: &fitted, counts: &counts, dataset_sha256: bundle::fingerprint(&examples) };
    let taught = bundle::taught_bundle(bundle::Base::new(Bundle::from_bytes(&base_bytes).unwrap()).unwrap(), &lesson).unwrap();
    let taught = Classifier::from_bytes(&taught.to_bytes().unwrap(), &device).unwrap();
    assert_eq!(taught.manifest().labels.zh, ["猫", "咖啡", "宇航员"]);
    assert_eq!(taught.manifest().training.as_ref().unwrap().recipe, "mobilenet-v2-transfer");
    for (i, rgb) in views.iter().enumerate().step_by(7) {
        let view = camtag::preprocess::ImageView::rgb(rgb.as_raw(), rgb.width(), rgb.height()).unwrap();
        let logits = pollster::block_on(taught.logits(&view)).unwrap();
        let mut expected = vec![0.0; 3];
        fitted.head.logits(examples.row(i), &mut expected);
        for (a, b) in logits.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-3 * (1.0 + b.abs()), "picture {i}: the bundle scores {logits:?}, the head {expected:?}");
        }
    }

    let out = scratch("page-vs-cli").join("cli.camtag");
    let run = camtag(&["train", "--data", s(&data), "--arch", "mobilenet-v2-transfer", "--views", "1", "--out", s(&out), "--backbone", s(&backbone), "--json"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let (page, cli) = (fitted.kept.valid.top1, report["kept"]["valid"]["top1"].as_f64().unwrap());
    eprintln!("validation top-1: page {page:.1}%, cli {cli:.1}%");
    assert!((page - cli).abs() <= 5.0, "page {page}% vs cli {cli}%");
    assert!(page >= 90.0, "page {page}%");
}
