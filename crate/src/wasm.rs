//! The browser binding: one thin layer over [`Classifier`]. Every entry point returns a typed
//! `Result<_, JsError>`; every input is validated before any tensor work (wasm32 cannot unwind,
//! so a panic would abort the module); results are read back from the GPU asynchronously only.

use std::cell::Cell;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::preprocess::ImageView;
use crate::{Backend, BackendChoice, Classifier, Prediction};

unsafe extern "C" {
    /// Synthesized by wasm-ld: runs the static constructors (here, `inventory` registrations in
    /// burn's GPU stack).
    fn __wasm_call_ctors();
}

#[wasm_bindgen(start)]
fn start() {
    // Run the constructors once, here. A module that never calls `__wasm_call_ctors` itself is
    // linked "command style": wasm-ld wraps every export so that each call runs all the
    // constructors first. wasm-bindgen's `__externref_table_alloc` is such an export, called for
    // every JS value Rust hands out, so the manifest getter (a thousand labels) spent 850 ms
    // re-running constructors on every call. An explicit call turns the wrapping off (see the
    // `inventory` crate's notes on WebAssembly); wasm-bindgen calls `start` once, right after
    // instantiation, before any other export.
    // SAFETY: called once per instance, before any code that relies on the registrations.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// `performance.now()` in milliseconds (0 where there is no `performance`).
fn now_ms() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok();
    performance
        .and_then(|p| {
            let now = js_sys::Reflect::get(&p, &"now".into()).ok()?;
            now.dyn_into::<js_sys::Function>().ok()?.call0(&p).ok()?.as_f64()
        })
        .unwrap_or(0.0)
}

/// A model loaded in the page.
#[wasm_bindgen(js_name = Classifier)]
pub struct WasmClassifier {
    inner: Rc<Classifier>,
    backend: Backend,
    /// One classification at a time: a second call while one runs is refused, not queued.
    busy: Rc<Cell<bool>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Classification {
    predictions: Vec<Prediction>,
    /// Resize, crop and normalize, on the CPU.
    preprocess_ms: f64,
    /// Upload, forward pass and readback of the scores.
    inference_ms: f64,
    total_ms: f64,
    backend: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MapClassification {
    predictions: Vec<Prediction>,
    map: crate::cam::ActivationMap,
    /// Where the square the network saw lies in the picture: `[left, top, width, height]` pixels.
    crop: [f64; 4],
    preprocess_ms: f64,
    inference_ms: f64,
    total_ms: f64,
    backend: String,
}

/// Runs `work` as the one request of a model: marked busy (`busy`) until it ends, whatever its
/// outcome, so a second request meanwhile is refused (see `check_idle`), not interleaved.
fn one_at_a_time(busy: Rc<Cell<bool>>, work: impl std::future::Future<Output = Result<JsValue, JsError>> + 'static) -> js_sys::Promise {
    busy.set(true);
    wasm_bindgen_futures::future_to_promise(async move {
        let result = work.await;
        busy.set(false);
        result.map_err(JsValue::from)
    })
}

impl WasmClassifier {
    /// RGBA pixels checked and preprocessed at the model's own size, or at `size` x `size`; with
    /// the preprocessing used.
    fn input(&self, rgba: &[u8], width: u32, height: u32, size: Option<u32>) -> Result<(burn::prelude::Tensor<4>, crate::preprocess::Preprocessing), JsError> {
        let view = ImageView::rgba(rgba, width, height).map_err(js_error)?;
        let spec = match size {
            Some(size) => self.inner.preprocessing_at(size).map_err(js_error)?,
            None => self.inner.manifest().preprocessing.clone(),
        };
        Ok((self.inner.input_with(&view, &spec), spec))
    }

    /// Refuses a request while another one runs on this model.
    fn check_idle(&self) -> Result<(), JsError> {
        if self.busy.get() {
            return Err(JsError::new("a classification is already running on this model"));
        }
        Ok(())
    }
}

#[wasm_bindgen(js_class = Classifier)]
impl WasmClassifier {
    /// Loads a bundle. `backend` is `"auto"` (WebGPU when the browser gives an adapter, else the
    /// CPU), `"webgpu"` or `"cpu"`. A package built without the `webgpu` feature runs on the CPU
    /// only: `"auto"` falls back, `"webgpu"` is an error.
    pub async fn create(bundle: Vec<u8>, backend: Option<String>) -> Result<WasmClassifier, JsError> {
        let choice: BackendChoice = backend.as_deref().unwrap_or("auto").parse().map_err(js_error)?;
        // A network too large for a page is refused from its manifest, before anything is built.
        crate::classifier::fits_a_page(&crate::Bundle::read_manifest(&bundle).map_err(js_error)?.0).map_err(js_error)?;
        let backend = Backend::acquire(choice).await.map_err(js_error)?;
        let classifier = Classifier::from_bytes(&bundle, &backend.device).map_err(js_error)?;
        Ok(Self { inner: Rc::new(classifier), backend, busy: Rc::new(Cell::new(false)) })
    }

    /// The architecture `arch` (e.g. `"vgg16"`, `"googlenet"`, `"resnet18"`) with random weights:
    /// its tags mean nothing, its speed is what the classroom's comparison measures.
    pub async fn untrained(arch: String, backend: Option<String>) -> Result<WasmClassifier, JsError> {
        let choice: BackendChoice = backend.as_deref().unwrap_or("auto").parse().map_err(js_error)?;
        if let Some(architecture) = crate::nets::Architecture::named(&arch) {
            let values = architecture.stored_values();
            if values > crate::classifier::PAGE_MAX_VALUES {
                return Err(JsError::new(&format!("{arch} has {:.1} M weights: more than a page can hold", values as f64 / 1e6)));
            }
        }
        let backend = Backend::acquire(choice).await.map_err(js_error)?;
        let classifier = Classifier::untrained(&arch, &backend.device).map_err(js_error)?;
        Ok(Self { inner: Rc::new(classifier), backend, busy: Rc::new(Cell::new(false)) })
    }

    /// `"WebGPU"` or `"CPU"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.kind.to_string()
    }

    /// Why `"auto"` ended up on the CPU, if it did.
    #[wasm_bindgen(getter, js_name = fallbackReason)]
    pub fn fallback_reason(&self) -> Option<String> {
        self.backend.fallback_reason.clone()
    }

    /// The bundle's manifest (name, architecture, labels, source, accuracy…) as a JS object.
    #[wasm_bindgen(getter)]
    pub fn manifest(&self) -> Result<JsValue, JsError> {
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        self.inner.manifest().serialize(&serializer).map_err(js_error)
    }

    /// The layer table at a `size` x `size` input: `{input, layers: [{name, kind, kernel, stride,
    /// output: [c, h, w], params, macs, running_stats}]}`, the numbers `camtag info` prints.
    #[wasm_bindgen(js_name = layerTable)]
    pub fn layer_table(&self, size: u32) -> Result<JsValue, JsError> {
        if !(32..=4096).contains(&size) {
            return Err(JsError::new(&format!("input size {size} is outside 32..=4096 pixels")));
        }
        self.inner.manifest().architecture.accepts(size as usize).map_err(js_error)?;
        let summary = self.inner.manifest().architecture.summary(size as usize);
        summary.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
    }

    /// The points inside the network whose feature maps `featureMaps` can show, in order.
    #[wasm_bindgen(js_name = probePoints)]
    pub fn probe_points(&self) -> Vec<String> {
        self.inner.probe_points()
    }

    /// The feature map after point `point` for RGBA pixels: resolves to `{point, shape: [c, h, w],
    /// channels, data}` with the first `maxChannels` channels' values.
    #[wasm_bindgen(js_name = featureMaps)]
    pub fn feature_maps(&self, rgba: &[u8], width: u32, height: u32, point: u32, max_channels: u32) -> Result<js_sys::Promise, JsError> {
        self.check_idle()?;
        ImageView::rgba(rgba, width, height).map_err(js_error)?;
        let points = self.inner.probe_points().len();
        if point as usize >= points {
            return Err(JsError::new(&format!("layer {point} does not exist (the network has {points} points to look at)")));
        }
        // Copy the pixels: the future outlives the borrowed slice.
        let (pixels, inner, busy) = (rgba.to_vec(), self.inner.clone(), self.busy.clone());
        Ok(one_at_a_time(busy, async move {
            let view = ImageView::rgba(&pixels, width, height).map_err(js_error)?;
            let maps = inner.feature_maps(&view, point as usize, max_channels as usize).await.map_err(js_error)?;
            // The values as a Float32Array (one copy), not a JS array built value by value.
            let out = js_sys::Object::new();
            let set = |key: &str, value: JsValue| {
                js_sys::Reflect::set(&out, &key.into(), &value).map(|_| ()).map_err(|e| JsError::new(&format!("{e:?}")))
            };
            let shape: js_sys::Array = maps.shape.iter().map(|&d| JsValue::from(d as u32)).collect();
            set("point", maps.point.into())?;
            set("shape", shape.into())?;
            set("channels", (maps.channels as u32).into())?;
            set("data", js_sys::Float32Array::from(maps.data.as_slice()).into())?;
            Ok::<JsValue, JsError>(out.into())
        }))
    }

    /// Classifies RGBA pixels as `classify` does (at `size` when given) and computes the class
    /// activation map of `tag` (an output index; absent: the top tag) from the same forward pass.
    /// Resolves to `{predictions, map: {index, en, zh, shape: [h, w], values, logit, bias}, crop:
    /// [left, top, width, height] (the square the network saw, in the picture's pixels),
    /// preprocessMs, inferenceMs, totalMs, backend}`.
    #[wasm_bindgen(js_name = classifyWithMap)]
    pub fn classify_with_map(&self, rgba: &[u8], width: u32, height: u32, top_k: u32, size: Option<u32>, tag: Option<u32>) -> Result<js_sys::Promise, JsError> {
        self.check_idle()?;
        let classes = self.inner.manifest().labels.len();
        if let Some(tag) = tag.filter(|&t| t as usize >= classes) {
            return Err(JsError::new(&format!("tag {tag} does not exist (the model has {classes})")));
        }
        let start = now_ms();
        let (input, spec) = self.input(rgba, width, height, size)?;
        let crop = spec.crop_in_picture(width as usize, height as usize);
        let preprocess_ms = now_ms() - start;
        let (inner, busy, backend) = (self.inner.clone(), self.busy.clone(), self.backend());
        Ok(one_at_a_time(busy, async move {
            let started = now_ms();
            let (predictions, map) = inner.classify_with_map(input, top_k as usize, tag.map(|t| t as usize)).await.map_err(js_error)?;
            let inference_ms = now_ms() - started;
            let out = MapClassification { predictions, map, crop, preprocess_ms, inference_ms, total_ms: now_ms() - start, backend };
            out.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
        }))
    }

    /// The pooled features of RGBA pixels (what a new head learns from, see `teach`): resolves to
    /// a Float32Array of `featureWidth` numbers. Only MobileNetV2 and EfficientNet-Lite0 models
    /// can describe pictures for teaching.
    pub fn describe(&self, rgba: &[u8], width: u32, height: u32) -> Result<js_sys::Promise, JsError> {
        self.check_idle()?;
        if crate::teach::bundle::recipe_of(&self.inner.manifest().architecture).is_none() {
            return Err(JsError::new(&format!("{} cannot describe pictures for teaching: choose MobileNetV2 or EfficientNet-Lite0", self.inner.manifest().name)));
        }
        let view = ImageView::rgba(rgba, width, height).map_err(js_error)?;
        let input = self.inner.input(&view);
        let (inner, busy) = (self.inner.clone(), self.busy.clone());
        Ok(one_at_a_time(busy, async move { Ok::<JsValue, JsError>(js_sys::Float32Array::from(inner.describe_input(input).await.map_err(js_error)?.as_slice()).into()) }))
    }

    /// How many numbers `describe` gives.
    #[wasm_bindgen(getter, js_name = featureWidth)]
    pub fn feature_width(&self) -> u32 {
        self.inner.feature_width() as u32
    }

    /// Classifies RGBA pixels (`width * height * 4` bytes, as `getImageData` gives them), at the
    /// model's own input size or at `size` x `size` when given (the classroom's size comparison).
    /// Resolves to `{predictions: [{index, en, zh, prob, logit}], preprocessMs, inferenceMs,
    /// totalMs, backend}`.
    pub fn classify(&self, rgba: &[u8], width: u32, height: u32, top_k: u32, size: Option<u32>) -> Result<js_sys::Promise, JsError> {
        self.check_idle()?;
        let start = now_ms();
        let (input, _) = self.input(rgba, width, height, size)?;
        let preprocess_ms = now_ms() - start;

        let (inner, busy, backend) = (self.inner.clone(), self.busy.clone(), self.backend());
        Ok(one_at_a_time(busy, async move {
            let started = now_ms();
            let predictions = inner.classify_input(input, top_k as usize).await.map_err(js_error)?;
            let inference_ms = now_ms() - started;
            let out = Classification {
                predictions,
                preprocess_ms,
                inference_ms,
                total_ms: now_ms() - start,
                backend,
            };
            out.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
        }))
    }
}

/// What `teach`'s options may set (all optional; the defaults are `camtag train`'s).
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TeachOptions {
    name: Option<String>,
    seed: Option<u64>,
    epochs: Option<usize>,
    valid_fraction: Option<f64>,
    patience: Option<usize>,
    learning_rate: Option<f64>,
    batch_size: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EpochEvent {
    #[serde(flatten)]
    record: crate::teach::EpochRecord,
    epochs: usize,
    best: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PerTag {
    train: usize,
    valid: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TeachReport {
    tags: Vec<crate::teach::Tag>,
    per_tag: Vec<PerTag>,
    epochs_run: usize,
    kept_epoch: usize,
    stopped_early: bool,
    k: usize,
    valid: crate::teach::SplitMetrics,
    train_samples: usize,
    valid_samples: usize,
    ms: f64,
}

/// Lets the event loop run (a `setTimeout(0)`), so that messages and frames get their turn
/// between epochs.
async fn yield_to_event_loop() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(set_timeout) => {
                let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from(0));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The kernels' differential check against burn on `cases` random shapes from `seed`
/// (crate::kernels::check), on the CPU, with the loops this package was built with (SIMD128 or
/// scalar): the tests run it under Node in each package. At most 5,000 cases a call.
#[wasm_bindgen(js_name = kernelCheck)]
pub fn kernel_check(seed: u32, cases: u32) -> Result<JsValue, JsError> {
    if cases > 5000 {
        return Err(JsError::new(&format!("{cases} cases: at most 5,000 a call")));
    }
    let report = crate::kernels::check::run(u64::from(seed), cases as usize, &burn::prelude::Device::flex()).map_err(js_error)?;
    report.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
}

/// Teaches the base model (`base`, a MobileNetV2 or EfficientNet-Lite0 bundle) new tags from
/// described pictures: `features` holds `labels.length` rows of its `featureWidth` numbers (from
/// `describe`), `labels[i]` the tag of row `i`, `tags` `[{zh, en?}]`. After each epoch
/// `onEpoch({epoch, epochs, train, valid, best})` is called; returning `false` cancels. Resolves
/// to `{bundle: Uint8Array, report}`: the base network with the new head, ready to load.
#[wasm_bindgen]
pub async fn teach(base: Vec<u8>, features: Vec<f32>, labels: Vec<u32>, tags: JsValue, options: JsValue, on_epoch: js_sys::Function) -> Result<JsValue, JsError> {
    use crate::teach::{Examples, TeachConfig, bundle::{self, Taught}};
    let start = now_ms();
    let tags: Vec<crate::teach::Tag> = serde_wasm_bindgen::from_value(tags).map_err(|e| JsError::new(&format!("tags must be [{{zh, en}}]: {e}")))?;
    let options: TeachOptions = if options.is_undefined() || options.is_null() {
        TeachOptions::default()
    } else {
        serde_wasm_bindgen::from_value(options).map_err(|e| JsError::new(&format!("teach options: {e}")))?
    };
    let mut config = TeachConfig::new();
    config.seed = options.seed.unwrap_or(config.seed);
    config.epochs = options.epochs.unwrap_or(config.epochs);
    config.valid_fraction = options.valid_fraction.unwrap_or(config.valid_fraction);
    config.patience = options.patience.unwrap_or(config.patience);
    config.learning_rate = options.learning_rate.unwrap_or(config.learning_rate);
    config.batch_size = options.batch_size.or(config.batch_size);
    crate::teach::check_tags(&tags).map_err(js_error)?;
    let base = bundle::Base::new(crate::Bundle::from_bytes(&base).map_err(js_error)?).map_err(js_error)?;
    let labels: Vec<usize> = labels.into_iter().map(|l| l as usize).collect();
    let examples = Examples::new(base.width(), features, labels, tags.len()).map_err(js_error)?;
    let (mut fitting, counts) = crate::teach::prepare(&tags, &examples, config.clone()).map_err(js_error)?;
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    while !fitting.done() {
        let record = fitting.epoch();
        let event = EpochEvent { record, epochs: config.epochs, best: fitting.best().map_or(0, |b| b.epoch) };
        let go_on = on_epoch.call1(&JsValue::NULL, &event.serialize(&serializer).map_err(js_error)?).map_err(|e| JsError::new(&format!("onEpoch failed: {e:?}")))?;
        if go_on == JsValue::FALSE {
            return Err(JsError::new(&format!("training cancelled after epoch {}", record.epoch)));
        }
        yield_to_event_loop().await;
    }
    let fitted = fitting.finish();
    let name = options.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| tags.iter().map(|t| t.zh.trim()).collect::<Vec<_>>().join(" · "));
    let lesson = Taught { name: &name, tags: &tags, fitted: &fitted, counts: &counts, dataset_sha256: bundle::fingerprint(&examples) };
    let bytes = bundle::taught_bundle(base, &lesson).map_err(js_error)?.to_bytes().map_err(js_error)?;
    let (train_samples, valid_samples) = counts.iter().fold((0, 0), |(t, v), (a, b)| (t + a, v + b));
    let report = TeachReport {
        tags: tags.clone(),
        per_tag: counts.iter().map(|&(train, valid)| PerTag { train, valid }).collect(),
        epochs_run: fitted.history.len(),
        kept_epoch: fitted.kept.epoch,
        stopped_early: fitted.stopped_early,
        k: fitted.k,
        valid: fitted.kept.valid,
        train_samples,
        valid_samples,
        ms: now_ms() - start,
    };
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &"bundle".into(), &js_sys::Uint8Array::from(bytes.as_slice()).into()).map_err(|e| JsError::new(&format!("{e:?}")))?;
    js_sys::Reflect::set(&out, &"report".into(), &report.serialize(&serializer).map_err(js_error)?).map_err(|e| JsError::new(&format!("{e:?}")))?;
    Ok(out.into())
}

/// Why architecture `arch` (a name `camtag info --arch` knows) cannot take a `size` x `size`
/// picture, or `null` when it can: the classroom shows VGG's fully connected head refusing the
/// sizes global average pooling takes, without allocating its 138 M weights.
#[wasm_bindgen(js_name = inputSizeProblem)]
pub fn input_size_problem(arch: String, size: u32) -> Result<Option<String>, JsError> {
    let architecture = crate::nets::Architecture::named(&arch)
        .ok_or_else(|| JsError::new(&format!("unknown architecture {arch:?} (known: {})", crate::nets::Architecture::NAMES.join(", "))))?;
    Ok(architecture.accepts(size as usize).err().map(|e| e.to_string()))
}

/// Why a bundle cannot be loaded in a page, from its first bytes only (the header and the
/// manifest, `16 + manifest length`): not a bundle, a damaged manifest, or a network too large for
/// a page. `null` when those bytes are fine. The worker asks before handing the whole file to
/// `Classifier.create`, which would first copy all of it (VGG-16: 553 MB) into the module's memory.
#[wasm_bindgen(js_name = bundleProblem)]
pub fn bundle_problem(head: &[u8]) -> Option<String> {
    match crate::Bundle::read_manifest(head) {
        Ok((manifest, _)) => crate::classifier::fits_a_page(&manifest).err().map(|e| e.to_string()),
        Err(e) => Some(e.to_string()),
    }
}
