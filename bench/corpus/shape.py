"""The corpus's shape: rates, sizes and vocabularies every part of the generator reads."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pipeline.core.names import SENTENCE_BREAK

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "data" / "raw" / "2026-11-23-trending.txt"
START_DATE = date(2026, 1, 1)
# Default number of days (files) is n_records / RECORDS_PER_FILE: files of ~5-20k records.
RECORDS_PER_FILE = 10_000
MIN_DEFAULT_DAYS = 3

EXACT_RATE = 0.08  # exact re-sightings, mostly on later days
NEAR_RATE = 0.06  # near duplicates, split evenly over NEAR_EDITS
NEAR_EDITS = ("revision", "format", "retitle", "noise")
EDITS = ("exact", *NEAR_EDITS)
TITLE_COLLISION_RATE = 0.005  # distinct papers that take another paper's title phrase
SAME_TITLE_COLLISION_SHARE = 0.5  # of those, the share taking the whole title
MALFORMED_RATES = {"missing_abstract": 0.002, "chrome_glued": 0.0015, "bad_bytes": 0.0015}
MALFORMED_KINDS = tuple(MALFORMED_RATES)
SAME_DAY_DUPLICATE_SHARE = 0.12  # re-sightings on the original's own day (after it)
MULTI_PAGE_FILE_SHARE = 0.35  # files holding several page dumps concatenated
MAX_PAGES_PER_FILE = 4
MIN_RECORDS_PER_PAGE = 20

# Text generation.
ABSTRACT_ORDER1_SHARE = 0.1  # Markov steps on a one-word context: walks leave copied runs
TITLE_ORDER1_SHARE = 0.3  # titles: the sample has few, so leave copied runs sooner
LOWERCASE_NAME_SHARE = 0.012  # "xT", "p-MoD", "lo-fi": the sample has 3 of 242
GREEK_NAME_SHARE = 0.004  # "γ-MoD"
ACRONYM_NAME_SHARE = 0.15  # "TLOB", "CBAM"
MIN_ABSTRACT_CHARS = 420  # the sample's shortest abstract has 540
ABSTRACT_OVERSHOOT_CHARS = 70  # walks stop at the first sentence end past their target
ABSTRACT_END_FLOOR = 0.85  # ... or where a sample abstract ends, past this share of it
ABSTRACT_MAX_TOKENS = 640
CODE_LINK_ENDING_SHARE = 0.06  # abstracts ending on a bare code link (the sample: 7%)
CODE_LINK_ENDINGS = (
    "Code is available at ",
    "Code: ",
    "Our code is available at ",
    "The code is publicly available at ",
    "Code and models are available at: ",
)
MIN_TITLE_CHARS = 18  # the sample's shortest title
TITLE_MAX_CHARS = 200  # the sample's longest has 154; the reader takes >300 for abstract text
TITLE_TARGET_SCALE = 0.75  # title walks end at the first title end past this share of a
TITLE_CEILING_SCALE = 1.0  # sampled length, and past this share on any title-final word
TITLE_END_FLOOR = 0.4  # ... or where a sample title ends, past this share of it
TITLE_MAX_TOKENS = 40
TITLE_ATTEMPTS = 30  # rounds of re-walking titles that repeat another paper's
REVISION_EXTRA_CHARS = 160  # length of the walk a revision takes an added sentence from
WALK_CHUNK = 8192  # walks advanced together; bounds the token matrix to ~20 MB

CHROME_LINES = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
)
PAGE_GLUE = "Subscribe"  # glued to the first title of every page dump
GLUED_CHROME = (
    "Subscribe",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!Subscribe",
)
BAD_BYTES = b"\xff\xfe"
BAD_MARK = "\ue000"  # private-use placeholder, swapped for BAD_BYTES after encoding
NAME_MARK = "\x01"  # where the paper's method name goes in an abstract
URL_MARK = "\x02"  # where the paper's code URL goes

# Streams of the counter-based hash: one per independent kind of choice.
(
    S_TITLE,
    S_TITLE_META,
    S_NAME,
    S_ABSTRACT,
    S_ABSTRACT_LEN,
    S_SUBST,
    S_RETITLE,
    S_EXTRA,
    S_EDIT,
    S_MALFORM,
    S_UNIQUE,
) = range(1, 12)

NAME_PARTS = (
    "Deep", "Zero", "Lo", "RA", "Ve", "Track", "Net", "Former", "Seg", "Diff", "Flow",
    "Graph", "Mamba", "YOLO", "Bench", "Mix", "Fuse", "Sparse", "Quant", "Gen", "Mo",
    "Hyper", "Meta", "Auto", "Omni", "Uni", "Pix", "Point", "Vox", "Depth", "Edit",
    "Align", "Dino", "Lang", "Code", "Mem", "Pro", "Fast", "Lite", "Nano", "Tiny", "Mega",
    "Lumi", "Astra", "Nova", "Orion", "Zeta", "Sigma", "Delta", "Tau", "Rex", "Vid", "Aud",
    "Spec", "Prism", "Echo", "Atlas", "Flux", "Core", "Scale", "Prune", "Distill", "Cast",
    "Sense", "Vision", "Mind", "Chain", "Ray", "Splat", "Fold", "Mesh", "Kern", "Gate",
    "Route", "Pilot", "Sync", "Loop", "Drop", "Shift", "Warp", "Bridge", "Hop", "Lens",
    "Trek", "Sage", "Opt", "Rank", "Tok", "Clip", "Cap", "Act", "Quill", "Vec", "Tab",
    "Geo", "Mol", "Bio", "Med", "Stack", "Walk", "Face", "Spark", "Lion", "Hawk", "Fira",
)  # fmt: skip
NAME_SUFFIXES = ("-v2", "++", "-XL", "2", "-1.0", "v3", "-Lite", "-Pro", "-S", "3D", "-R1", "X")
LOWER_PREFIXES = ("p-", "x", "lo-", "i", "m", "q-", "d", "e")
GREEK_PREFIXES = ("γ-", "μ-", "ε-", "λ-")
ORG_TAILS = ("", "", "", "-ai", "-lab", "-group", "-research", "-nlp", "-cv", "ml", "-hub")

DATASET_NAMES = (
    "ImageNet", "ImageNet-1K", "ImageNet-21K", "CIFAR-10", "CIFAR-100", "COCO", "MS COCO",
    "PASCAL VOC", "ADE20K", "Cityscapes", "KITTI", "NYU Depth v2", "ScanNet", "LVIS",
    "Objects365", "Kinetics-400", "Something-Something v2", "UCF101", "HMDB51",
    "LibriSpeech", "GLUE", "SuperGLUE", "SQuAD", "MMLU", "GSM8K", "HumanEval",
    "WikiText-103", "C4", "The Pile", "LAION-400M", "CelebA", "FFHQ", "LSUN", "MNIST",
    "Fashion-MNIST", "SVHN", "Tiny ImageNet", "Places365", "iNaturalist", "Open Images",
    "nuScenes", "Waymo Open", "SemanticKITTI", "ShapeNet", "ModelNet40", "DAVIS",
    "YouTube-VOS", "LaSOT", "GOT-10k", "TrackingNet", "MOT17", "WIDER FACE",
    "FaceForensics++", "Celeb-DF", "VQAv2", "GQA", "TextVQA", "MSR-VTT", "Flickr30K",
    "Conceptual Captions", "OGB", "Cora", "PubMed", "MovieLens", "Criteo", "ETTh1",
    "BraTS", "CheXpert", "MIMIC-CXR", "Omniglot", "STL-10", "Caltech-101",
)  # fmt: skip
# Dataset spellings in the sample that are not pool names, to recognise them.
DATASET_ALIASES = (
    "CIFAR10", "CIFAR100", "ImageNet-1k", "ImageNet1k", "NYUDv2", "NYUv2", "VOC", "PASCAL",
    "ILSVRC2012", "ILSVRC", "JFT", "JFT-300M", "Celeb-DFv2", "CelebDFv2", "Celeb-A",
    "MS-COCO", "DeeperForensics-1.0", "Br35H", "WIDER", "LFW", "YTF", "MegaFace",
)  # fmt: skip
MODEL_NAMES = (
    "ResNet-50", "ResNet-101", "ViT-B/16", "ViT-L/14", "Swin-T", "ConvNeXt-B",
    "EfficientNet-B4", "MobileNetV3", "DeiT-S", "BERT-base", "RoBERTa-large", "T5-XL",
    "GPT-2", "LLaMA-2-7B", "Llama-3-8B", "Qwen2-7B", "Mistral-7B", "YOLOv5s", "YOLOv8n",
    "DETR", "Mask R-CNN", "Faster R-CNN", "U-Net", "CLIP ViT-B/32", "Stable Diffusion",
    "DINOv2", "SAM", "Whisper", "GPT-4", "Vicuna-13B", "OPT-1.3B", "Phi-2", "Gemma-2B",
    "DenseNet-121", "VGG-16", "Inception-v3", "RegNetY-16GF", "PointNet++", "GraphSAGE",
)  # fmt: skip
MODEL_TOKEN = re.compile(
    r"(?:ResNet|VGG|MobileNet|EfficientNet|DenseNet|Inception|AlexNet|ViT|DeiT|Swin|BERT"
    r"|RoBERTa|GPT|LLaMA|Llama|Qwen|Mistral|DeepSeek|LLaVA|CLIP|T5|Vicuna"
    r"|YOLO(?:v\d+|\d+))[\w.\-]*"
)

# Reword pairs for "revision" edits: a word the authors changed in a new version.
REWORDS = {
    "propose": "present", "present": "introduce", "novel": "new", "significantly":
    "substantially", "improves": "boosts", "method": "approach", "approach": "framework",
    "show": "demonstrate", "demonstrate": "show", "achieves": "attains", "performance":
    "accuracy", "results": "findings", "efficient": "effective", "large": "big",
    "However,": "Nevertheless,", "Moreover,": "Furthermore,", "Furthermore,": "In addition,",
    "outperforms": "surpasses", "existing": "prior", "task": "problem", "tasks": "problems",
    "model": "network", "models": "networks", "extensive": "comprehensive", "use": "employ",
    "simple": "straightforward", "important": "crucial", "various": "diverse",
}  # fmt: skip
LATEX_WRAPPERS = ("\\textbf{", "\\emph{", "\\textit{", "\\texttt{")
COLOR_WRAPPERS = ("blue{", "\\blue{", "red{", "\\textcolor{blue}{")
NOISE_URLS = ("https://arxiv.org/abs/", "https://openreview.net/forum?id=", "http://")
SURNAMES = ("he", "vaswani", "liu", "zhang", "kingma", "chen", "wang", "li", "brown", "dosovitskiy")

# A title never ends on one of these (nor does a real one); the reader reads such a
# line as text that continues on the next line.
FUNCTION_WORD_END = re.compile(
    r"(?i)(?:[,;:(\-]|\b(?:a|an|the|of|for|and|or|nor|but|in|on|at|to|by|with|from|via|"
    r"into|onto|over|under|than|that|which|who|while|as|is|are|was|were|be|been|has|have|"
    r"can|may|will|we|our|its|their|this|these|those|such|both|not|also))$"
)
SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")
FULL_STOP_END = re.compile(r"\.[\"')\]]?$")
SENTENCE_BREAK_RE = re.compile(SENTENCE_BREAK)
ABBREVIATIONS = frozenset({"e.g.", "i.e.", "al.", "vs.", "etc.,", "Fig.", "Eq.", "cf.", "Sec."})
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
TOKEN_PARTS = re.compile(r"([(\[\"'<]*)(.*?)((?:'s)?[)\]\"'.,;:!?+]*)", re.DOTALL)
URL_CORE = re.compile(r"(?:https?://|www\.)|github\.com")
TITLE_PREFIX = re.compile(r"([^\s:]{1,40}):\s+(.+)")
NUMBER_KINDS = (
    ("range_pct", re.compile(r"\d+(?:\.\d+)?-\d+(?:\.\d+)?%")),
    ("range", re.compile(r"\d+-\d+")),
    ("percent", re.compile(r"\d+(?:\.\d+)?%")),
    ("factor", re.compile(r"\d+(?:\.\d+)?[x×]")),
    ("year", re.compile(r"(?:19|20)\d\d")),
    ("fraction", re.compile(r"0\.\d+")),
    ("decimal", re.compile(r"\d+\.\d+")),
    ("thousands", re.compile(r"\d{1,3}(?:,\d{3})+")),
    ("integer", re.compile(r"\d+")),
)
NUMBER_POOL = 256
NUMBER = re.compile(r"\d+(?:\.\d+)?")
WORD = re.compile(r"\w+")
NOT_WORD = re.compile(r"[\W_]+")
EDIT_CODE = {name: code for code, name in enumerate(EDITS, start=1)}
MALFORMED_CODE = {name: code for code, name in enumerate(MALFORMED_KINDS, start=1)}
