// The page's words in Chinese and English, and the reader's choice among 中文, English or both
// (remembered in localStorage). Elements carry `data-i18n="key"` (text) or
// `data-i18n-aria="key"` (aria-label); messages built in code call `t(key, values)`.

const STRINGS = {
  tagline: ['对准任何东西，卷积神经网络实时告诉你它看到了什么。', 'Point the camera at anything: a CNN tells you what it sees, live.'],
  startCamera: ['开始', 'Start camera'],
  stopCamera: ['停止', 'Stop camera'],
  choosePicture: ['选择图片', 'Choose a picture'],
  pause: ['暂停', 'Pause'],
  snapshot: ['拍照', 'Snapshot'],
  cameraChoice: ['摄像头', 'Camera'],
  flipCamera: ['切换前后摄像头', 'Front/back camera'],
  largeType: ['大字', 'Large type'],
  cameraControls: ['摄像头控制', 'Camera controls'],
  present: ['投影模式', 'Projector mode'],
  settings: ['设置', 'Settings'],
  close: ['关闭', 'Close'],
  quizTitle: ['Top-1 / Top-5 测验', 'Top-1 / top-5 quiz'],
  quizHelp: ['说出镜头里真正的东西：如果它是网络的第一猜测，算 top-1 命中；如果在前五个猜测里，算 top-5 命中。ImageNet 比赛用的就是 top-1 和 top-5 错误率。',
    'Say what the object really is: the network scores a top-1 hit if it was its first guess, a top-5 hit if it was among its five. The ImageNet challenge ranked networks by these two error rates.'],
  quizAnswer: ['它其实是', 'It really is'],
  quizCheck: ['核对', 'Check'],
  quizReset: ['清零', 'Reset'],
  quizTop1: ['第一猜测就对了 (top-1 命中)', 'its first guess (a top-1 hit)'],
  quizTopN: ['第 {rank} 个猜测 (top-5 命中)', 'guess number {rank} (a top-5 hit)'],
  quizMiss: ['不在前五个猜测里', 'not among its five guesses'],
  quizUnknown: ['模型不认识“{answer}”：请从列表里选一个类别', 'The model has no class “{answer}”: pick one from the list'],
  quizNoResult: ['先打开摄像头或选一张图片', 'Start the camera or choose a picture first'],
  quizScore: ['{asked} 次：top-1 命中 {top1}，top-5 命中 {top5}；top-1 错误率 {e1}%，top-5 错误率 {e5}%',
    '{asked} answers: {top1} top-1 hits, {top5} top-5 hits; top-1 error {e1}%, top-5 error {e5}%'],
  mapsTitle: ['特征图', 'Feature maps'],
  mapsHelp: ['选一层，看它对当前画面的前 16 个通道：每个小图是一个通道，亮的地方响应强。前面的层对边缘和颜色有反应，后面的层更粗糙、更抽象。',
    'Pick a layer to see its first 16 channels on the current frame: each tile is one channel, bright where it responds. Early layers react to edges and colours; later ones are coarser and more abstract.'],
  mapsShape: ['{point}：{c} 个通道，每个 {h}×{w}（显示前 {n} 个）', '{point}: {c} channels of {h}×{w} (showing the first {n})'],
  compareTitle: ['比较网络', 'Compare architectures'],
  compareHelp: ['参数量和乘加次数来自 camtag info（224 像素输入）；top-1 是各模型在 ImageNet 上公布的准确率（MobileNetV2 的 f16 和 int8 副本沿用 f32 权重的数字：它们用更少的位存同样的权重，在 1000 张 ImageNet 图片上至少 99% 给出与 f32 相同的第一猜测）；每帧用时是在这台设备上对当前画面实测的。VGG、GoogLeNet、ResNet 在这里只有结构，没有训练好的权重：测速时用随机权重（一次前向计算的用时与权重的取值无关）。VGG-16 的数字是原版的：最后三个全连接层占了 1.384 亿参数中的 1.236 亿，也把输入固定在 224×224；它们太大，页面里放不下，所以 * 号的用时只测它的卷积部分（乘加次数的 99%）。GoogLeNet 的数字是论文里的 5×5 分支（torchvision 用的是 3×3，少 38 万参数）。',
    'Parameters and multiply-adds come from camtag info (224 px input); top-1 is each model\'s published ImageNet accuracy (MobileNetV2\'s f16 and int8 copies show the f32 weights\' figure: the same weights stored in fewer bits, they give the f32 weights\' first guess on at least 99 % of 1000 ImageNet pictures); ms per frame is measured here, on this device, on the current frame. VGG, GoogLeNet and ResNet come as architectures only, without trained weights: they are timed with random weights (a forward pass takes as long whatever the weights\' values). VGG-16\'s figures are the published network\'s: its three fully connected layers hold 123.6 M of its 138.4 M parameters and fix its input at 224 x 224; too large for a page, so its time (marked *) is its convolutions\' (99 % of its multiply-adds). GoogLeNet\'s are the paper\'s, with 5x5 branches (torchvision builds them 3x3: 380,928 fewer parameters).'],
  compareRun: ['在本机测速', 'Measure on this device'],
  network: ['网络', 'Network'],
  macsAt224: ['乘加 (224)', 'MACs (224)'],
  noWeights: ['无权重', 'no weights'],
  sizesTitle: ['不同输入尺寸', 'Any input size'],
  camWhy: ['“看哪里”也要归功于全局平均池化：最后的分数 = 偏置 + 线性层权重对每个位置特征的加权和的平均。把平均挪到最后，每个位置（224 像素时是 7×7 个）对这个标签的贡献就能单独画出来，这就是类激活图（Zhou 等，CVPR 2016）。VGG 原版那样先把特征图展平再接全连接层的网络，位置和权重绑在一起，就没有这么简单准确的图。',
    '"Where it looks" is global average pooling\'s gift too: the score is the bias plus the average, over the places, of the linear layer\'s weights applied to each place\'s features. Take the average last and each place (7 x 7 of them at 224 px) has its own share of the score: that is the class activation map (Zhou et al., CVPR 2016). A network that flattens its feature map into fully connected layers, as the original VGG does, ties weights to places and has no such exact map.'],
  sizesHelp: ['同一帧画面，同一个网络，输入 160、224、320 像素。网络最后是全局平均池化：图越大，特征图越大，但每个通道仍然平均成一个数，所以任何尺寸都能用。',
    'The same frame through the same network at 160, 224 and 320 pixels. The network ends in global average pooling: a bigger picture gives bigger feature maps, but each channel still averages to one number, so any size works.'],
  sizesRun: ['比较 160 / 224 / 320', 'Compare 160 / 224 / 320'],
  vggRefuses: ['原版 VGG-16（全连接头）不接受：', 'VGG-16 as published (fully connected head) refuses it:'],
  vggTakes: ['原版 VGG-16（全连接头）只接受这个尺寸。', 'VGG-16 as published (fully connected head) takes this size, and only this one.'],
  sizeNote: ['池化前特征图 {side}×{side}，{ms} ms', 'feature maps {side}×{side} before pooling, {ms} ms'],
  teachTitle: ['教', 'Teach'],
  teachHelp: ['教它新的标签：给每个标签拍几张（输入标签，按住按钮）或加几张图片，至少两个标签、每个至少两张，然后按“训练”。点击缩略图可删除。一切都在本机完成，离线也行；导出的 zip 可直接用于 camtag train。',
    'Teach it new tags: give each tag a few pictures (type a tag and hold the button, or add picture files), at least two tags of two pictures each, then press Train. Click a thumbnail to remove it. All on this device, offline too; the exported zip is what camtag train reads.'],
  tagEnglish: ['英文名（可选）', 'English name (optional)'],
  addTag: ['添加标签', 'Add tag'],
  suggestTags: ['试试：', 'Try:'],
  captureHere: ['拍到这里', 'Capture here'],
  addPictures: ['添加图片', 'Add pictures'],
  addFolder: ['添加文件夹', 'Add a folder'],
  removeTag: ['删除标签', 'Remove tag'],
  moreSamples: ['还有 {n} 张', '+{n} more'],
  tagExists: ['已经有叫“{name}”的标签了。', 'There is a tag named “{name}” already.'],
  skipped: ['跳过了 {n} 个文件（不是图片，或是空文件）。', { one: '{n} file skipped (not a picture, or empty).', other: '{n} files skipped (not pictures, or empty).' }],
  baseModel: ['基础网络', 'Base network'],
  train: ['训练', 'Train'],
  cancel: ['取消', 'Cancel'],
  downloadModel: ['下载模型', 'Download model'],
  removeModel: ['删除模型', 'Remove model'],
  removeModelConfirm: ['删除你的模型“{name}”？', 'Delete your model “{name}”?'],
  modelRemoved: ['已删除“{name}”。', '“{name}” was deleted.'],
  clearAll: ['全部清除', 'Clear all'],
  clearAllConfirm: ['删除全部 {tags} 个标签和 {n} 张样本？训练好的模型会保留。', 'Delete all {tags} tags and {n} samples? Your trained models stay.'],
  describing: ['正在分析 {n} 张样本…', { one: 'Describing {n} sample…', other: 'Describing {n} samples…' }],
  describingAll: ['正在分析样本 {i}/{n}…', 'Describing sample {i} of {n}…'],
  trainingEpoch: ['训练中：第 {epoch}/{epochs} 轮，验证 top-1 {top1}%', 'Training: epoch {epoch} of {epochs}, validation top-1 {top1}%'],
  trainedReport: ['验证集 top-1：{top1}%（保留第 {kept} 轮，共跑了 {run} 轮{early}）', 'Validation top-1: {top1}% (kept epoch {kept} of {run} run{early})'],
  stoppedEarly: ['，提前停止', ', stopped early'],
  trainSamples: ['训练', 'Train'],
  validSamples: ['验证', 'Valid'],
  trainedActive: ['训练好了：现在用“{name}”识别。', 'Trained: “{name}” is tagging now.'],
  trainCancelled: ['训练已取消，样本都还在。', 'Training cancelled; your samples are kept.'],
  trainAbandoned: ['换了模型，训练已停止，样本都还在。', 'Another model was chosen, so training stopped; your samples are kept.'],
  trainFailed: ['训练失败：', 'Training failed:'],
  describeFailed: ['无法分析这张样本：', 'This sample cannot be described:'],
  teachTwoTags: ['至少需要两个标签才能训练（现在有 {n} 个）。', 'Training needs at least two tags (there are {n}).'],
  teachNoName: ['每个标签都需要名字。', 'Every tag needs a name.'],
  teachSameName: ['两个标签都叫“{name}”：请改掉一个。', 'Two tags are named “{name}”: rename one.'],
  teachFewSamples: ['标签“{tag}”只有 {n} 张样本，至少需要 2 张。', { one: 'The tag “{tag}” has {n} sample; it needs at least 2.', other: 'The tag “{tag}” has {n} samples; it needs at least 2.' }],
  teachBase: ['不能在“{base}”上训练。', 'Cannot train on “{base}”.'],
  teachUnsupported: ['这个版本的 camtag 不能在网页里训练。', 'This build of camtag cannot train in the page.'],
  curve: ['训练曲线', 'Training curve'],
  curveTrainLoss: ['训练损失', 'train loss'],
  curveValidLoss: ['验证损失', 'valid loss'],
  curveValidTop1: ['验证 top-1', 'valid top-1'],
  storageUnavailable: ['这个窗口不能保存数据（比如隐私窗口）：样本和模型只保留到关闭页面。', 'This window cannot store data (a private window?): samples and models last only until the page closes.'],
  storageFull: ['存储空间满了：新的样本和模型只保留到关闭页面。删掉一些样本或模型再试。', 'Storage is full: new samples and models last only until the page closes. Remove some samples or models.'],
  storageFailed: ['无法保存：', 'Could not save:'],
  yourModels: ['你的模型', 'Your models'],
  modelRenamed: ['已经有叫“{name}”的模型了，两个都保留：新的叫“{renamed}”。', 'A model named “{name}” exists already; both are kept, the new one as “{renamed}”.'],
  threshold: ['把握', 'Sure from'],
  whereItLooks: ['看哪里', 'Where it looks'],
  camLess: ['少', 'less'],
  camMore: ['多', 'more'],
  camFor: ['对这个标签的贡献', 'adds to the score of'],
  camPick: ['点上面的标签换一个', 'Click a tag above to see its map'],
  notSure: ['不确定', 'not sure'],
  tag: ['标签', 'Tag'],
  holdToCapture: ['按住拍摄', 'Hold to capture'],
  exportZip: ['导出 zip', 'Export zip'],
  removeSample: ['删除', 'Remove'],
  layersTitle: ['网络结构', 'Inside the network'],
  layersHelp: ['每一层把图片变成什么形状、有多少参数、要做多少次乘加。全局平均池化让网络接受任何输入尺寸。', 'What each layer turns the picture into, how many parameters it has and how many multiply-adds it costs. Global average pooling lets the network take any input size.'],
  layerInputSize: ['输入尺寸', 'Input size'],
  layer: ['层', 'Layer'],
  kind: ['类型', 'Kind'],
  output: ['输出', 'Output'],
  params: ['参数', 'Parameters'],
  macs: ['乘加', 'MACs'],
  total: ['合计', 'Total'],
  kindConv: ['卷积', 'conv'],
  kindDepthwise: ['逐通道卷积', 'depthwise'],
  kindExpand: ['1×1 升维', '1×1 expand'],
  kindReduce: ['1×1 降维', '1×1 reduce'],
  kindResidual: ['残差相加', 'residual add'],
  kindMaxPool: ['最大池化', 'max pool'],
  kindGap: ['全局平均池化', 'global avg pool'],
  kindLinear: ['全连接', 'linear'],
  backend: ['计算', 'Backend'],
  inputSize: ['输入', 'Input'],
  sizeModel: ['模型自己的', "the model's own"],
  auto: ['自动', 'Auto'],
  model: ['模型', 'Model'],
  language: ['语言', 'Language'],
  results: ['识别结果', 'Top-5'],
  msPerFrame: ['每帧用时', 'ms / frame'],
  camera: ['摄像头', 'camera'],
  picture: ['图片', 'picture'],
  dropHint: ['拖入或粘贴图片', 'Drop or paste a picture'],
  privacy: ['所有计算都在本机完成，画面不会离开你的设备。', 'Everything runs on this device; camera frames never leave it.'],
  loadingModel: ['正在加载模型… {percent}', 'Loading the model… {percent}'],
  wasmSimd: ['WebAssembly SIMD：一条指令同时算 4 个数', 'WebAssembly SIMD: one instruction computes 4 numbers at once'],
  wasmBaseline: ['WebAssembly（无 SIMD：此浏览器不支持，或地址里有 ?wasm=baseline）', 'WebAssembly without SIMD (this browser lacks it, or the address says ?wasm=baseline)'],
  fallback: ['此浏览器没有可用的 WebGPU，改用 CPU（较慢）。', 'WebGPU is not available here, so camtag runs on the CPU (slower).'],
  tryingGpu: ['正在测试 WebGPU 是否比 CPU 快…', 'Trying whether WebGPU is faster than the CPU here…'],
  gpuTimes: ['每张图：WebGPU {gpu} 毫秒，CPU {cpu} 毫秒', 'Per picture: WebGPU {gpu} ms, CPU {cpu} ms'],
  gpuSlower: ['这台设备的 WebGPU 比 CPU 慢（每张图 {gpu} 毫秒，CPU {cpu} 毫秒），所以继续用 CPU。',
    'WebGPU is slower than the CPU on this device ({gpu} ms a picture against {cpu} ms), so camtag stays on the CPU.'],
  stillUsing: ['仍在使用 {name}。', 'Still using {name}.'],
  offlineMark: ['可离线使用', 'available offline'],
  freeOffline: ['删除离线副本', 'Remove offline copies'],
  freeOfflineConfirm: ['删除已保存的模型副本（默认模型除外，也包括“教”用的基础网络）？没有网络时就不能再打开它们，联网后再打开会重新下载。',
    'Delete the models kept for offline use (all but the default, the Teach panel\'s base network included)? They cannot be opened with no network until they are opened online again.'],
  offlineFreed: ['已删除离线副本，默认模型仍可离线使用。', 'Offline copies removed; the default model still works offline.'],
  notKeptOffline: ['{name} 没有离线副本，现在也无法下载：联网后再打开它。', '{name} is not kept for offline use and cannot be downloaded now: open it again when online.'],
  classifyFailed: ['识别出错：', 'Classification failed:'],
  modelListFailed: ['模型列表无法读取：', 'The model list cannot be read:'],
  downloadFailed: ['模型下载失败：', 'Model download failed:'],
  loadFailed: ['模型无法加载：', 'The model could not be loaded:'],
  workerStopped: ['推理线程崩溃，请重新加载模型：', 'The inference worker stopped; load a model again:'],
  truncatedPicture: ['{name} 不完整（{bytes} 字节）：文件被截断了。', '{name} is truncated ({bytes} bytes): the file was cut short.'],
  notPictureNorModel: ['{name} 不是图片，也不是 camtag 模型（.camtag）。', '{name} is neither a picture nor a camtag model (.camtag).'],
  cannotRead: ['无法读取这张图片：{name}。', 'This picture cannot be read: {name}.'],
  emptyFile: ['文件是空的（0 字节）：{name}。', 'The file is empty (0 bytes): {name}.'],
  tooLarge: ['图片太大（{size}，最多 {max} 百万像素）。', 'The picture is too large ({size}; at most {max} megapixels).'],
  insecure: ['此页面无法使用摄像头：需要 https 或 localhost。', 'The camera needs a secure page: open it over https or on localhost, not a LAN address over http.'],
  cameraDenied: ['摄像头权限被拒绝。请在地址栏允许使用摄像头后刷新。', 'Camera access was denied: allow it in the address bar, then reload.'],
  noCamera: ['没有找到摄像头。可以选择、拖入或粘贴图片。', 'No camera was found on this device. You can choose, drop or paste a picture.'],
  superseded: ['已改为加载另一个模型。', 'Another model was asked for instead.'],
  cameraLost: ['摄像头断开了。接好后按“开始”。', 'The camera was disconnected. Plug it back in and press Start camera.'],
  gpuLost: ['WebGPU 停止工作（GPU 设备丢失），已改用 CPU 继续识别。', 'WebGPU stopped working (the GPU device was lost), so camtag switched to the CPU and carries on.'],
  cameraBusy: ['摄像头被其他程序占用。', 'The camera is in use by another application.'],
  cameraFailed: ['无法打开摄像头：', 'Cannot open the camera:'],
};

import { Problem } from '../shared/problem.js';

export const LANGUAGES = ['both', 'zh', 'en'];
const KEY = 'camtag.language';
let language = LANGUAGES.includes(localStorage.getItem(KEY)) ? localStorage.getItem(KEY) : 'both';

export function currentLanguage() {
  return language;
}

const ENGLISH_PLURALS = new Intl.PluralRules('en');

/**
 * The text for `key` in the chosen language(s), with `{name}` placeholders filled. An English
 * text that depends on a count is `{one, other}`, chosen by `Intl.PluralRules` for `values.n`
 * ("1 file", "2 files"); Chinese needs no such choice.
 */
export function t(key, values = {}) {
  const [zh, en] = STRINGS[key] ?? [key, key];
  const fill = (s) => (typeof s === 'string' ? s : s[ENGLISH_PLURALS.select(Number(values.n))] ?? s.other)
    .replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? '')).trim();
  if (language === 'zh') return fill(zh);
  if (language === 'en') return fill(en);
  return `${fill(zh)} ${fill(en)}`;
}

/** A readable message for any error: translated when it is a Problem, with its detail. */
export function explain(error) {
  if (error instanceof Problem) return `${t(error.key, error.values)}${error.detail ? ` ${error.detail}` : ''}`;
  return String(error?.message ?? error);
}

/** Chooses the language, remembers it and retranslates `root`. */
export function setLanguage(next, root = document) {
  language = LANGUAGES.includes(next) ? next : 'both';
  localStorage.setItem(KEY, language);
  translate(root);
}

/** Gives `element` the text of `key`, kept by `translate` when the language changes. */
export function setLabel(element, key) {
  element.dataset.i18n = key;
  element.textContent = t(key);
}

/**
 * Gives an icon button the accessible name (and tooltip) of `key`, kept by `translate`; with
 * `icon`, also shows that icon of the page's sprite (`i-…`).
 */
export function setName(element, key, icon) {
  element.dataset.i18nAria = key;
  element.setAttribute('aria-label', t(key));
  element.title = t(key);
  if (icon) element.querySelector('use').setAttribute('href', `#${icon}`);
}

/**
 * Fills every `data-i18n` element's text and every `data-i18n-aria` element's aria-label; an
 * icon button's tooltip says its name.
 */
export function translate(root = document) {
  document.documentElement.lang = language === 'en' ? 'en' : 'zh-CN';
  document.documentElement.dataset.language = language;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll('.icon-button')) el.title = el.getAttribute('aria-label') ?? el.textContent.trim();
}
