"""Fixture table of the fake Hugging Face Hub: models and datasets with the edges they exercise.

Sizes in ``declared_size_bytes`` / ``parameters`` mirror the real repositories so size-based
scores computed from the metadata look like production; the served bytes stay a few KB.
Card texts are written for these fixtures (paraphrased, not copied from the real cards).
"""

from __future__ import annotations

from .fixture_types import DEFAULT_SERVED_SIZE, ContentKind, HubFile, HubRepo, HubRevision


def _text(path: str, text: str, declared: int | None = None, since: int = 0) -> HubFile:
    return HubFile(
        path=path, kind="text", text=text, declared_size_bytes=declared, since_revision=since
    )


def _weights(
    path: str,
    declared: int,
    *,
    served: int = DEFAULT_SERVED_SIZE,
    since: int = 0,
    revised: tuple[int, ...] = (),
) -> HubFile:
    kind: ContentKind = "safetensors" if path.endswith(".safetensors") else "random"
    return HubFile(
        path=path,
        kind=kind,
        served_size=served,
        declared_size_bytes=declared,
        since_revision=since,
        revised_in=revised,
    )


def _rev(title: str, date: str, *tags: str, author: str = "system") -> HubRevision:
    return HubRevision(title=title, date=date, author=author, tags=tags)


_BERT_VOCAB = "\n".join(
    [
        "[PAD]",
        *(f"[unused{i}]" for i in range(8)),
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *("the", "of", "and", "in", "to", "was", "he", "is", "as", "for", "on", "with", "##s"),
    ]
)

_BERT_README = """\
# BERT base model (uncased)

A transformer encoder pretrained on English text with a masked language modeling (MLM) objective
and next sentence prediction (NSP). It was introduced in the BERT paper (arXiv:1810.04805) and
first released in the original repository. The model is uncased: "English" and "english" are
the same token.

Code: https://github.com/google-research/bert

## Model description

The model learns a bidirectional representation of sentences by predicting 15% masked tokens
and whether two sentences follow each other. It is meant to be fine-tuned on downstream tasks
such as sequence classification, token classification or question answering.

## Intended uses & limitations

Use the raw model for masked language modeling, or fine-tune it. For text generation prefer a
causal model. Predictions can be biased, see the limitations section of the paper.

## Usage

```python
from transformers import pipeline

unmasker = pipeline("fill-mask", model="google-bert/bert-base-uncased")
print(unmasker("Hello I'm a [MASK] model."))
```

## Training data

The model was pretrained on BookCorpus, a collection of 11,038 unpublished books, and on English
Wikipedia (text passages only, lists, tables and headers excluded).

## Training procedure

Texts are lowercased and tokenized with WordPiece (30,000 token vocabulary). Pretraining ran on
4 cloud TPUs in Pod configuration (16 TPU chips) for one million steps with batch size 256.

## Evaluation

Fine-tuned on GLUE, the model reaches:

| Task  | MNLI-(m/mm) | QQP  | QNLI | SST-2 | CoLA | STS-B | MRPC | RTE  | Average |
|-------|-------------|------|------|-------|------|-------|------|------|---------|
|       | 84.6/83.4   | 71.2 | 90.5 | 93.5  | 52.1 | 85.8  | 88.9 | 66.4 | 79.6    |

## Citation

```bibtex
@article{devlin2018bert,
  title={BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding},
  author={Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton and Toutanova, Kristina},
  journal={arXiv preprint arXiv:1810.04805},
  year={2018}
}
```
"""

_BERT = HubRepo(
    repo_id="google-bert/bert-base-uncased",
    repo_type="model",
    edge_case="rich card, legacy alias, legacy dataset names in card, GLUE table, ~440 MB weights",
    aliases=("bert-base-uncased",),
    revisions=(
        _rev("initial commit", "2022-03-02T23:29:04.000Z"),
        _rev("Add safetensors weights", "2023-04-06T13:41:12.000Z", author="lysandre"),
        _rev("Update README.md", "2024-02-19T11:06:12.000Z", author="ybelkada"),
    ),
    card_metadata={
        "language": "en",
        "tags": ["exbert"],
        "license": "apache-2.0",
        # The real card still uses the legacy dataset ids: resolving them is part of the edge.
        "datasets": ["bookcorpus", "wikipedia"],
    },
    readme_body=_BERT_README,
    config={
        "architectures": ["BertForMaskedLM"],
        "attention_probs_dropout_prob": 0.1,
        "gradient_checkpointing": False,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 768,
        "initializer_range": 0.02,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 512,
        "model_type": "bert",
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "transformers_version": "4.6.0.dev0",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": 30522,
    },
    files=(
        _text("vocab.txt", _BERT_VOCAB + "\n", declared=231_508),
        _text("tokenizer_config.json", '{"do_lower_case": true, "model_max_length": 512}\n'),
        _text(
            "tokenizer.json",
            '{"version": "1.0", "truncation": null, "padding": null}\n',
            declared=466_062,
        ),
        _weights("model.safetensors", 440_449_768, served=6144, since=1),
        _weights("pytorch_model.bin", 440_473_133),
        _weights("tf_model.h5", 536_063_208),
        _weights("flax_model.msgpack", 438_064_459),
        _weights("rust_model.ot", 534_240_408),
        _weights("onnx/model.onnx", 437_974_125, since=1),
        _text(
            "onnx/config.json",
            '{"architectures": ["BertForMaskedLM"], "model_type": "bert"}\n',
            since=1,
        ),
    ),
    downloads=58_132_960,
    downloads_all_time=2_310_455_872,
    likes=2_312,
    parameters={"F32": 110_106_428},
    linked_github="google-research/bert",
    extra_tags=("arxiv:1810.04805",),
    extra_api_fields={
        "mask_token": "[MASK]",
        "widgetData": [{"text": "Paris is the [MASK] of France."}],
        "spaces": ["exbert-project/exbert", "mteb/leaderboard"],
        "inference": "warm",
    },
)

_AUDIENCE = HubRepo(
    repo_id="parvk11/audience_classifier_model",
    repo_type="model",
    edge_case="no license, thin auto-generated card, parent only via config _name_or_path",
    revisions=(
        _rev("initial commit", "2024-11-20T08:12:40.000Z"),
        _rev("Upload BertForSequenceClassification", "2024-11-20T08:15:02.000Z", author="parvk11"),
    ),
    card_metadata={"library_name": "transformers", "tags": []},
    readme_body="""\
# Model Card for Model ID

<!-- Provide a quick summary of what the model is/does. -->

## Model Details

### Model Description

This is the model card of a transformers model that has been pushed on the Hub. This model card
has been automatically generated.

- **Developed by:** [More Information Needed]
- **License:** [More Information Needed]
- **Finetuned from model [optional]:** [More Information Needed]

## Uses

[More Information Needed]

## Training Details

### Training Data

[More Information Needed]

## Evaluation

[More Information Needed]
""",
    config={
        "_name_or_path": "google-bert/bert-base-uncased",
        "architectures": ["BertForSequenceClassification"],
        "id2label": {"0": "general", "1": "technical", "2": "executive"},
        "label2id": {"executive": 2, "general": 0, "technical": 1},
        "hidden_size": 768,
        "model_type": "bert",
        "num_attention_heads": 12,
        "num_hidden_layers": 12,
        "problem_type": "single_label_classification",
        "torch_dtype": "float32",
        "transformers_version": "4.46.2",
        "vocab_size": 30522,
    },
    files=(
        _weights("model.safetensors", 437_961_724, since=1),
        _text(
            "tokenizer_config.json", '{"do_lower_case": true, "model_max_length": 512}\n', since=1
        ),
        _text("vocab.txt", _BERT_VOCAB + "\n", declared=231_508, since=1),
    ),
    downloads=3,
    downloads_all_time=41,
    likes=0,
    created_at="2024-11-20T08:12:40.000Z",
    parameters={"F32": 109_484_547},
)

_WHISPER_README = """\
# Whisper (tiny)

Whisper is a pre-trained model for automatic speech recognition (ASR) and speech translation,
trained on 680k hours of weakly supervised labelled audio. This checkpoint is the smallest size
(39M parameters) and is multilingual.

## Usage

```python
from transformers import WhisperProcessor, WhisperForConditionalGeneration

processor = WhisperProcessor.from_pretrained("openai/whisper-tiny")
model = WhisperForConditionalGeneration.from_pretrained("openai/whisper-tiny")
features = processor(audio_array, sampling_rate=16_000, return_tensors="pt").input_features
predicted_ids = model.generate(features)
print(processor.batch_decode(predicted_ids, skip_special_tokens=True))
```

## Training data

The audio and transcripts were collected from the internet; 65% is English audio with English
transcripts, the rest covers 96 other languages and translation pairs.

## Evaluation

Word error rate on LibriSpeech: 7.54 (test-clean) and 17.15 (test-other).

## Limitations

The model may hallucinate text that was never spoken and performs unevenly across languages
and accents.
"""

_WHISPER = HubRepo(
    repo_id="openai/whisper-tiny",
    repo_type="model",
    edge_case="apache-2.0, model-index eval results, no datasets or code link in metadata, ~150 MB",
    revisions=(
        _rev("initial commit", "2022-09-26T06:50:30.000Z"),
        _rev("Upload weights", "2022-09-26T07:01:11.000Z", author="ArthurZ"),
        _rev("Add safetensors", "2023-06-12T09:30:00.000Z", author="sanchit-gandhi"),
        _rev("Update generation config", "2024-02-29T10:57:33.000Z", author="sanchit-gandhi"),
    ),
    card_metadata={
        "language": ["en", "zh", "de", "es", "ru", "ko", "fr", "ja"],
        "tags": ["audio", "automatic-speech-recognition", "hf-asr-leaderboard"],
        "widget": [{"example_title": "Librispeech sample 1", "src": "sample1.flac"}],
        "model-index": [
            {
                "name": "whisper-tiny",
                "results": [
                    {
                        "task": {
                            "name": "Automatic Speech Recognition",
                            "type": "automatic-speech-recognition",
                        },
                        "dataset": {
                            "name": "LibriSpeech (clean)",
                            "type": "librispeech_asr",
                            "config": "clean",
                            "split": "test",
                            "args": {"language": "en"},
                        },
                        "metrics": [{"name": "Test WER", "type": "wer", "value": 7.54}],
                    },
                    {
                        "task": {
                            "name": "Automatic Speech Recognition",
                            "type": "automatic-speech-recognition",
                        },
                        "dataset": {
                            "name": "LibriSpeech (other)",
                            "type": "librispeech_asr",
                            "config": "other",
                            "split": "test",
                            "args": {"language": "en"},
                        },
                        "metrics": [{"name": "Test WER", "type": "wer", "value": 17.15}],
                    },
                ],
            }
        ],
        "pipeline_tag": "automatic-speech-recognition",
        "license": "apache-2.0",
    },
    readme_body=_WHISPER_README,
    config={
        "_name_or_path": "openai/whisper-tiny",
        "architectures": ["WhisperForConditionalGeneration"],
        "d_model": 384,
        "decoder_layers": 4,
        "encoder_layers": 4,
        "model_type": "whisper",
        "num_mel_bins": 80,
        "torch_dtype": "float32",
        "transformers_version": "4.27.0.dev0",
        "vocab_size": 51865,
    },
    files=(
        _text(
            "generation_config.json",
            '{"decoder_start_token_id": 50258, "max_length": 448}\n',
            since=3,
        ),
        _text("preprocessor_config.json", '{"feature_size": 80, "sampling_rate": 16000}\n'),
        _text(
            "tokenizer.json", '{"version": "1.0", "model": {"type": "BPE"}}\n', declared=2_480_466
        ),
        _weights("pytorch_model.bin", 151_097_539, since=1),
        _weights("tf_model.h5", 151_451_584, since=1),
        _weights("flax_model.msgpack", 151_059_092, since=1),
        _weights("model.safetensors", 151_061_672, since=2),
    ),
    downloads=1_214_887,
    downloads_all_time=38_902_114,
    likes=381,
    created_at="2022-09-26T06:50:30.000Z",
    parameters={"F32": 37_760_640},
    extra_tags=("arxiv:2212.04356",),
    extra_api_fields={"inference": "warm", "spaces": ["openai/whisper"]},
)

_TINY_LLM = HubRepo(
    repo_id="arnir0/Tiny-LLM",
    repo_type="model",
    edge_case="small (~18 MB) causal LM, MIT, code repo with unrecognised license (NOASSERTION)",
    revisions=(
        _rev("initial commit", "2024-04-12T17:40:06.000Z"),
        _rev("Upload LlamaForCausalLM", "2024-04-12T17:44:51.000Z", author="arnir0"),
        _rev("Update README.md", "2024-05-02T09:03:27.000Z", author="arnir0"),
    ),
    card_metadata={
        "license": "mit",
        "library_name": "transformers",
        "pipeline_tag": "text-generation",
        "language": ["en"],
        "tags": ["llama", "tiny"],
    },
    readme_body="""\
# Tiny-LLM

A very small Llama-architecture language model (about 4.6M parameters) for experiments on
commodity hardware. It produces short, loosely coherent English text.

Code: https://github.com/arnir0/tiny-llm-train

## Usage

```python
from transformers import AutoModelForCausalLM, AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("arnir0/Tiny-LLM")
model = AutoModelForCausalLM.from_pretrained("arnir0/Tiny-LLM")
inputs = tokenizer("Once upon a time", return_tensors="pt")
print(tokenizer.decode(model.generate(**inputs, max_new_tokens=20)[0]))
```

## Training data

A filtered sample of public-domain stories (about 300M tokens).

## Evaluation

Validation perplexity 21.4 on the held-out split.
""",
    config={
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 192,
        "intermediate_size": 1024,
        "model_type": "llama",
        "num_attention_heads": 2,
        "num_hidden_layers": 1,
        "torch_dtype": "float32",
        "vocab_size": 32000,
    },
    files=(
        _text("generation_config.json", '{"bos_token_id": 1, "eos_token_id": 2}\n', since=1),
        _text("tokenizer_config.json", '{"model_max_length": 1024}\n', since=1),
        _weights("model.safetensors", 18_486_576, since=1),
        _weights("pytorch_model.bin", 18_491_146, since=1),
    ),
    downloads=12_406,
    downloads_all_time=210_771,
    likes=83,
    created_at="2024-04-12T17:40:06.000Z",
    parameters={"F32": 4_621_568},
    linked_github="arnir0/tiny-llm-train",
)

_MINILM_BASE = HubRepo(
    repo_id="lineage-lab/minilm-base",
    repo_type="model",
    edge_case="chain root; apache-2.0 model whose training code is GPL-3.0; git tag v1.0.0",
    revisions=(
        _rev("initial commit", "2023-05-02T10:00:00.000Z"),
        _rev("Release v1.0.0", "2023-05-03T14:20:00.000Z", "v1.0.0", author="lineage-bot"),
    ),
    card_metadata={
        "license": "apache-2.0",
        "language": "en",
        "library_name": "transformers",
        "pipeline_tag": "fill-mask",
        "datasets": ["wikimedia/wikipedia", "bookcorpus/bookcorpus"],
        "tags": ["minilm", "encoder"],
    },
    readme_body="""\
# MiniLM base

A 33M-parameter encoder distilled from a larger teacher, pretrained on Wikipedia and BookCorpus.

Code: https://github.com/lineage-lab/minilm-training

## Usage

```python
from transformers import pipeline

fill = pipeline("fill-mask", model="lineage-lab/minilm-base")
fill("The capital of France is [MASK].")
```

## Training data

English Wikipedia (20231101 dump) and BookCorpus.

## Evaluation

GLUE average 80.2 after task-specific fine-tuning.
""",
    config={
        "architectures": ["BertForMaskedLM"],
        "hidden_size": 384,
        "model_type": "bert",
        "num_hidden_layers": 12,
        "vocab_size": 30522,
    },
    files=(_weights("model.safetensors", 133_466_304, since=1),),
    downloads=8_540,
    downloads_all_time=120_332,
    likes=17,
    created_at="2023-05-02T10:00:00.000Z",
    parameters={"F32": 33_366_576},
    linked_github="lineage-lab/minilm-training",
)

_MINILM_SENTIMENT = HubRepo(
    repo_id="lineage-lab/minilm-imdb-sentiment",
    repo_type="model",
    edge_case="finetune of minilm-base; tags v1.0.0, v1.1.0, 1.2.0 (weights differ); LGPL code",
    revisions=(
        _rev("initial commit", "2023-06-01T09:00:00.000Z"),
        _rev(
            "First fine-tuned release", "2023-06-02T12:00:00.000Z", "v1.0.0", author="dana-lineage"
        ),
        _rev(
            "Retrain with more epochs", "2023-08-15T16:30:00.000Z", "v1.1.0", author="dana-lineage"
        ),
        _rev("Fix label mapping", "2024-01-09T08:45:00.000Z", "1.2.0", author="sam-lineage"),
    ),
    card_metadata={
        "license": "apache-2.0",
        "base_model": "lineage-lab/minilm-base",
        "base_model_relation": "finetune",
        "datasets": ["stanfordnlp/imdb"],
        "language": ["en"],
        "library_name": "transformers",
        "pipeline_tag": "text-classification",
        "tags": ["sentiment-analysis"],
        "model-index": [
            {
                "name": "minilm-imdb-sentiment",
                "results": [
                    {
                        "task": {"type": "text-classification", "name": "Text Classification"},
                        "dataset": {"name": "IMDB", "type": "stanfordnlp/imdb", "split": "test"},
                        "metrics": [
                            {"type": "accuracy", "value": 0.912, "name": "Accuracy"},
                            {"type": "f1", "value": 0.909, "name": "F1"},
                        ],
                    }
                ],
            }
        ],
    },
    readme_body="""\
# MiniLM fine-tuned for IMDB sentiment

Binary sentiment classifier fine-tuned from lineage-lab/minilm-base.

Code: https://github.com/lineage-lab/sentiment-toolkit

## Usage

```python
from transformers import pipeline

classifier = pipeline("text-classification", model="lineage-lab/minilm-imdb-sentiment")
classifier("A moving, beautifully shot film.")
```

## Training data

The 25k training reviews of stanfordnlp/imdb.

## Evaluation

Accuracy 0.912 and F1 0.909 on the IMDB test split.
""",
    config={
        "_name_or_path": "lineage-lab/minilm-base",
        "architectures": ["BertForSequenceClassification"],
        "id2label": {"0": "NEGATIVE", "1": "POSITIVE"},
        "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
        "hidden_size": 384,
        "model_type": "bert",
        "vocab_size": 30522,
    },
    files=(_weights("model.safetensors", 133_474_012, since=1, revised=(2, 3)),),
    downloads=2_114,
    downloads_all_time=30_876,
    likes=9,
    created_at="2023-06-01T09:00:00.000Z",
    parameters={"F32": 33_368_578},
    linked_github="lineage-lab/sentiment-toolkit",
)

_MINILM_ONNX = HubRepo(
    repo_id="lineage-lab/minilm-imdb-sentiment-onnx",
    repo_type="model",
    edge_case="quantized ONNX conversion (3rd link of the chain); no safetensors info",
    revisions=(
        _rev("initial commit", "2024-02-01T11:00:00.000Z"),
        _rev("Add ONNX export", "2024-02-01T11:05:00.000Z", author="sam-lineage"),
        _rev(
            "Add int8 quantized model", "2024-02-20T15:10:00.000Z", "v2.0.0", author="sam-lineage"
        ),
    ),
    card_metadata={
        "license": "apache-2.0",
        "base_model": "lineage-lab/minilm-imdb-sentiment",
        "base_model_relation": "quantized",
        "library_name": "transformers.js",
        "pipeline_tag": "text-classification",
        "tags": ["onnx", "int8"],
    },
    readme_body="""\
# MiniLM IMDB sentiment (ONNX, int8)

ONNX export and dynamic int8 quantization of lineage-lab/minilm-imdb-sentiment.

## Usage

```python
import onnxruntime as ort

session = ort.InferenceSession("onnx/model_quantized.onnx")
```

## Evaluation

Accuracy drops by 0.4 points after quantization (0.908 on the IMDB test split).
""",
    config={
        "_name_or_path": "lineage-lab/minilm-imdb-sentiment",
        "architectures": ["BertForSequenceClassification"],
        "model_type": "bert",
    },
    files=(
        _weights("onnx/model.onnx", 133_702_144, since=1),
        _weights("onnx/model_quantized.onnx", 33_772_928, since=2),
    ),
    downloads=611,
    downloads_all_time=4_020,
    likes=2,
    created_at="2024-02-01T11:00:00.000Z",
)

_TINY_LLM_LORA = HubRepo(
    repo_id="lineage-lab/tiny-llm-sql-lora",
    repo_type="model",
    edge_case="PEFT adapter of arnir0/Tiny-LLM; dataset absent from the fake; unlicensed code",
    revisions=(
        _rev("initial commit", "2024-06-10T10:00:00.000Z"),
        _rev("Upload adapter", "2024-06-10T10:02:00.000Z", author="dana-lineage"),
    ),
    card_metadata={
        "license": "mit",
        "base_model": "arnir0/Tiny-LLM",
        "base_model_relation": "adapter",
        "library_name": "peft",
        "pipeline_tag": "text-generation",
        "datasets": ["b-mc2/sql-create-context"],
        "tags": ["lora", "text-to-sql"],
    },
    readme_body="""\
# Tiny-LLM SQL LoRA

A LoRA adapter (r=8) teaching arnir0/Tiny-LLM to write SQL from a question and a schema.

Training scripts: https://github.com/lineage-lab/sql-lora-recipes

## Usage

```python
from peft import PeftModel
from transformers import AutoModelForCausalLM

base = AutoModelForCausalLM.from_pretrained("arnir0/Tiny-LLM")
model = PeftModel.from_pretrained(base, "lineage-lab/tiny-llm-sql-lora")
```

## Training data

b-mc2/sql-create-context.

## Evaluation

Exact-match 31% on a held-out split.
""",
    config=None,
    files=(
        _text(
            "adapter_config.json",
            '{"base_model_name_or_path": "arnir0/Tiny-LLM", "peft_type": "LORA", "r": 8,'
            ' "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"],'
            ' "task_type": "CAUSAL_LM"}\n',
            since=1,
        ),
        _weights("adapter_model.safetensors", 1_181_248, served=2048, since=1),
    ),
    downloads=57,
    downloads_all_time=301,
    likes=1,
    created_at="2024-06-10T10:00:00.000Z",
    parameters={"F32": 295_312},
    linked_github="lineage-lab/sql-lora-recipes",
)

_MINILM_MERGE = HubRepo(
    repo_id="lineage-lab/minilm-sentiment-merge",
    repo_type="model",
    edge_case="merge with two base models (list-valued base_model)",
    revisions=(
        _rev("initial commit", "2024-03-03T12:00:00.000Z"),
        _rev("Upload merged model", "2024-03-03T12:04:00.000Z", author="sam-lineage"),
    ),
    card_metadata={
        "license": "apache-2.0",
        "base_model": ["lineage-lab/minilm-base", "lineage-lab/minilm-imdb-sentiment"],
        "base_model_relation": "merge",
        "library_name": "transformers",
        "pipeline_tag": "text-classification",
        "tags": ["mergekit", "merge"],
    },
    readme_body="""\
# MiniLM sentiment merge

SLERP merge (t=0.35) of the base encoder and its IMDB fine-tune, made with mergekit.

## Usage

```python
from transformers import pipeline

pipeline("text-classification", model="lineage-lab/minilm-sentiment-merge")("Great!")
```

## Evaluation

Accuracy 0.897 on the IMDB test split.
""",
    config={"architectures": ["BertForSequenceClassification"], "model_type": "bert"},
    files=(
        _text(
            "mergekit_config.yml",
            "merge_method: slerp\nbase_model: lineage-lab/minilm-base\nmodels:\n"
            "  - model: lineage-lab/minilm-base\n  - model: lineage-lab/minilm-imdb-sentiment\n"
            "parameters:\n  t: 0.35\ndtype: float32\n",
            since=1,
        ),
        _weights("model.safetensors", 133_474_012, since=1),
    ),
    downloads=14,
    downloads_all_time=96,
    likes=0,
    created_at="2024-03-03T12:00:00.000Z",
    parameters={"F32": 33_368_578},
)


def _cycle_repo(repo_id: str, parent: str, edge_case: str) -> HubRepo:
    return HubRepo(
        repo_id=repo_id,
        repo_type="model",
        edge_case=edge_case,
        revisions=(
            _rev("initial commit", "2024-07-01T00:00:00.000Z"),
            _rev("Upload model", "2024-07-01T00:01:00.000Z", author="cycle-lab"),
        ),
        card_metadata={
            "license": "mit",
            "base_model": parent,
            "base_model_relation": "finetune",
            "library_name": "transformers",
            "pipeline_tag": "text-classification",
        },
        readme_body=f"# {repo_id.split('/')[1]}\n\nFine-tuned from {parent}.\n\n## Usage\n\n"
        "```python\nfrom transformers import pipeline\n\n"
        f'pipeline("text-classification", model="{repo_id}")\n```\n',
        config={
            "_name_or_path": parent,
            "architectures": ["BertForSequenceClassification"],
            "model_type": "bert",
        },
        files=(_weights("model.safetensors", 17_563_136, served=1024, since=1),),
        downloads=1,
        likes=0,
        created_at="2024-07-01T00:00:00.000Z",
        parameters={"F32": 4_390_784},
    )


_CYCLE_A = _cycle_repo(
    "cycle-lab/ouroboros-a", "cycle-lab/ouroboros-b", "lineage cycle A -> B -> A"
)
_CYCLE_B = _cycle_repo(
    "cycle-lab/ouroboros-b", "cycle-lab/ouroboros-a", "lineage cycle B -> A -> B"
)
_SELF_PARENT = _cycle_repo(
    "cycle-lab/self-parent", "cycle-lab/self-parent", "base_model points at itself"
)

_MALFORMED = HubRepo(
    repo_id="broken-cards/malformed-yaml-model",
    repo_type="model",
    edge_case="README front matter is invalid YAML -> no cardData in the API",
    revisions=(
        _rev("initial commit", "2024-08-08T08:08:08.000Z"),
        _rev("Upload model", "2024-08-08T08:10:00.000Z", author="broken-cards"),
    ),
    # Unclosed flow sequence, a key with two colons, a tab indent: PyYAML rejects it.
    raw_card_yaml=(
        'license: mit\ntags: [text-classification\nbase_model: : "unterminated\n'
        "\tdatasets:\n  - imdb"
    ),
    readme_body="# Broken card\n\nThe metadata block above does not parse.\n\n## Usage\n\n"
    '```python\nfrom transformers import pipeline\npipeline("text-classification", '
    'model="broken-cards/malformed-yaml-model")\n```\n',
    config={"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert"},
    files=(_weights("model.safetensors", 267_832_560, served=1024, since=1),),
    downloads=4,
    likes=0,
    created_at="2024-08-08T08:08:08.000Z",
    parameters={"F32": 66_955_010},
)

_GATED = HubRepo(
    repo_id="meta-llama/Llama-3.2-1B",
    repo_type="model",
    edge_case="gated (manual): metadata public, downloads 401/403 GatedRepo unless granted",
    gated="manual",
    revisions=(
        _rev("initial commit", "2024-09-18T15:03:14.000Z"),
        _rev(
            "Upload folder using huggingface_hub", "2024-09-25T14:00:00.000Z", author="osanseviero"
        ),
        _rev("Update README.md", "2024-10-24T15:08:03.000Z", author="pcuenq"),
    ),
    card_metadata={
        "language": ["en", "de", "fr", "it", "pt", "hi", "es", "th"],
        "library_name": "transformers",
        "license": "llama3.2",
        "pipeline_tag": "text-generation",
        "tags": ["facebook", "meta", "pytorch", "llama", "llama-3"],
        "extra_gated_prompt": "You agree to the Llama 3.2 Community License Agreement.",
        "extra_gated_fields": {"First Name": "text", "Last Name": "text", "Affiliation": "text"},
        "extra_gated_button_content": "Submit",
    },
    readme_body="""\
# Llama 3.2 1B

A multilingual 1.23B-parameter text model. Access requires accepting the community license.

## Usage

```python
from transformers import pipeline

generator = pipeline("text-generation", model="meta-llama/Llama-3.2-1B")
generator("The key to life is")
```

## Training data

Up to 9 trillion tokens from publicly available sources.

## Evaluation

MMLU (5-shot) 32.2.
""",
    config={
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": 2048,
        "model_type": "llama",
        "num_hidden_layers": 16,
        "torch_dtype": "bfloat16",
        "vocab_size": 128256,
    },
    files=(
        _text(
            "generation_config.json", '{"bos_token_id": 128000, "eos_token_id": 128001}\n', since=1
        ),
        _weights("model.safetensors", 2_471_645_608, since=1),
        _weights("original/consolidated.00.pth", 2_471_677_246, since=1),
    ),
    downloads=1_624_513,
    downloads_all_time=9_977_002,
    likes=1_853,
    created_at="2024-09-18T15:03:14.000Z",
    parameters={"BF16": 1_235_814_400},
)

_PRIVATE = HubRepo(
    repo_id="acme-private/internal-classifier",
    repo_type="model",
    edge_case="private: every route answers 401 RepoNotFound without a granted token",
    private=True,
    revisions=(
        _rev("initial commit", "2024-10-01T09:00:00.000Z"),
        _rev("Upload model", "2024-10-01T09:30:00.000Z", author="acme-ml"),
    ),
    card_metadata={
        "license": "other",
        "library_name": "transformers",
        "pipeline_tag": "text-classification",
    },
    readme_body="# Internal classifier\n\nNot for distribution.\n",
    config={"architectures": ["BertForSequenceClassification"], "model_type": "bert"},
    files=(_weights("model.safetensors", 437_961_724, since=1),),
    downloads=0,
    likes=0,
    created_at="2024-10-01T09:00:00.000Z",
    parameters={"F32": 109_484_547},
)

# ----------------------------------------------------------------------------------------------
# Datasets
# ----------------------------------------------------------------------------------------------

_BOOKCORPUS = HubRepo(
    repo_id="bookcorpus/bookcorpus",
    repo_type="dataset",
    edge_case="legacy alias 'bookcorpus'; license unknown",
    aliases=("bookcorpus",),
    revisions=(
        _rev("initial commit", "2022-03-02T23:29:22.000Z"),
        _rev("Convert dataset to Parquet", "2024-01-18T11:02:05.000Z", author="parquet-converter"),
    ),
    card_metadata={
        "annotations_creators": ["no-annotation"],
        "language": ["en"],
        "license": ["unknown"],
        "multilinguality": ["monolingual"],
        "pretty_name": "BookCorpus",
        "size_categories": ["10M<n<100M"],
        "source_datasets": ["original"],
        "task_categories": ["text-generation", "fill-mask"],
        "paperswithcode_id": "bookcorpus",
    },
    readme_body="""\
# Dataset Card for BookCorpus

About 11,000 unpublished books scraped from the web, split into sentences.

## Dataset Structure

One `text` field per row, 74,004,228 rows in the train split.

## Considerations for Using the Data

Copyright status of the books is unclear; several books are duplicated.
""",
    files=tuple(
        _weights(f"plain_text/train-0000{i}-of-00003.parquet", 393_526_880, served=2048, since=1)
        for i in range(3)
    ),
    downloads=17_522,
    downloads_all_time=1_120_003,
    likes=58,
    created_at="2022-03-02T23:29:22.000Z",
    extra_api_fields={
        "description": "BookCorpus: about 11,000 unpublished books, split into sentences.",
        "paperswithcode_id": "bookcorpus",
        "citation": "@InProceedings{Zhu_2015_ICCV, title={Aligning Books and Movies}, year={2015}}",
    },
)

_WIKIPEDIA_FILES = (
    *(
        _weights(f"20231101.en/train-{i:05d}-of-00041.parquet", 492_818_331, served=1024, since=1)
        for i in range(41)
    ),
    *(
        _weights(f"20231101.fr/train-{i:05d}-of-00020.parquet", 401_277_040, served=1024, since=1)
        for i in range(20)
    ),
    _weights("20231101.simple/train-00000-of-00001.parquet", 154_870_991, served=1024, since=1),
)

_WIKIPEDIA = HubRepo(
    repo_id="wikimedia/wikipedia",
    repo_type="dataset",
    edge_case="legacy alias 'wikipedia'; 62 data files in 3 folders (tree pages with expand=True)",
    aliases=("wikipedia",),
    revisions=(
        _rev("initial commit", "2023-12-08T13:36:41.000Z"),
        _rev("Add 20231101 dumps", "2024-01-09T09:40:51.000Z", author="albertvillanova"),
    ),
    card_metadata={
        "language": ["en", "fr", "simple"],
        "license": ["cc-by-sa-3.0", "gfdl"],
        "size_categories": ["1M<n<10M", "10M<n<100M"],
        "task_categories": ["text-generation", "fill-mask"],
        "task_ids": ["language-modeling", "masked-language-modeling"],
        "pretty_name": "Wikipedia",
        "configs": [
            {
                "config_name": "20231101.en",
                "data_files": [{"split": "train", "path": "20231101.en/train-*"}],
            },
            {
                "config_name": "20231101.fr",
                "data_files": [{"split": "train", "path": "20231101.fr/train-*"}],
            },
        ],
    },
    readme_body="""\
# Dataset Card for Wikimedia Wikipedia

Cleaned articles of Wikipedia dumps, one configuration per language and dump date.

## Dataset Structure

Fields: `id`, `url`, `title`, `text`.

## Licensing Information

Text is available under CC BY-SA 3.0 and the GNU Free Documentation License.
""",
    files=_WIKIPEDIA_FILES,
    downloads=98_112,
    downloads_all_time=3_401_876,
    likes=781,
    created_at="2023-12-08T13:36:41.000Z",
    extra_api_fields={"description": "Cleaned Wikipedia articles in many languages."},
)

_IMDB = HubRepo(
    repo_id="stanfordnlp/imdb",
    repo_type="dataset",
    edge_case="legacy alias 'imdb'; license other; three splits",
    aliases=("imdb",),
    revisions=(
        _rev("initial commit", "2022-03-02T23:29:22.000Z"),
        _rev("Convert dataset to Parquet", "2024-01-04T12:04:21.000Z", author="parquet-converter"),
    ),
    card_metadata={
        "annotations_creators": ["expert-generated"],
        "language": ["en"],
        "license": ["other"],
        "pretty_name": "IMDB",
        "size_categories": ["10K<n<100K"],
        "task_categories": ["text-classification"],
        "task_ids": ["sentiment-classification"],
        "paperswithcode_id": "imdb-movie-reviews",
    },
    readme_body="""\
# Dataset Card for IMDB

Large Movie Review Dataset: 25,000 highly polar reviews for training, 25,000 for testing and
50,000 unlabelled ones.

## Dataset Structure

Fields: `text` (string) and `label` (0 = neg, 1 = pos).
""",
    files=(
        _weights("plain_text/train-00000-of-00001.parquet", 20_979_968, served=2048, since=1),
        _weights("plain_text/test-00000-of-00001.parquet", 20_470_363, served=2048, since=1),
        _weights(
            "plain_text/unsupervised-00000-of-00001.parquet", 41_996_509, served=2048, since=1
        ),
    ),
    downloads=152_334,
    downloads_all_time=5_120_887,
    likes=280,
    created_at="2022-03-02T23:29:22.000Z",
    extra_api_fields={
        "paperswithcode_id": "imdb-movie-reviews",
        "description": "Large Movie Review Dataset.",
    },
)

HUB_REPOS: tuple[HubRepo, ...] = (
    _BERT,
    _AUDIENCE,
    _WHISPER,
    _TINY_LLM,
    _MINILM_BASE,
    _MINILM_SENTIMENT,
    _MINILM_ONNX,
    _TINY_LLM_LORA,
    _MINILM_MERGE,
    _CYCLE_A,
    _CYCLE_B,
    _SELF_PARENT,
    _MALFORMED,
    _GATED,
    _PRIVATE,
    _BOOKCORPUS,
    _WIKIPEDIA,
    _IMDB,
)
